export { caseWorkflow } from './case';
export { whistleWorkflow } from './whistle';
export { deliveryWorkflow } from './delivery';
