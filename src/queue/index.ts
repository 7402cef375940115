export { createRedisStepQueue, stepJobId, type StepJob, type StepJobData, type StepQueue } from './step-queue.js'
