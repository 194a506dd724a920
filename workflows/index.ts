export { caseWorkflow } from './case';
export { whistleWorkflow } from './whistle';
