export { caseWorkflow } from './case/workflow';
export { whistleWorkflow } from './whistle/workflow';
export { deliveryWorkflow } from './delivery/workflow';
export { batchWorkflow } from './batch/workflow';
export { retentionWorkflow } from './retention/workflow';
