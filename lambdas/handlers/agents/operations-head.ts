import { lambdaAgent } from '../agent.ts';

export const handler = lambdaAgent('operations_head');
