import { caseWorkflowType, type CaseWorkflow } from '../workflows/case/messages';
import { deliveryWorkflowType, type DeliveryWorkflow } from '../workflows/delivery/messages';
import { caseWorkflow, deliveryWorkflow } from '../workflows';

// The API starts cases and the delivery activity starts deliveries by type name, without importing workflow code:
// the names must be the functions' names (Temporal's workflow type) and the signatures theirs (tsc checks these lines).
const typedCase: CaseWorkflow = caseWorkflow;
const typedDelivery: DeliveryWorkflow = deliveryWorkflow;

describe('workflow type names used where the workflow code is not imported', () => {
  it.each([
    [caseWorkflowType, typedCase],
    [deliveryWorkflowType, typedDelivery],
  ])('%s is the name the worker registers', (name, fn) => {
    expect(fn.name).toBe(name);
  });
});
