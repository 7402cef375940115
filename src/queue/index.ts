export { type BackendSource, type QueueBackend } from './backend.js'
export { createCronQueue, type CronQueue, type CronSchedule, type CronTick } from './cron-queue.js'
export { createStepQueue, stepJobId, type StepJob, type StepJobData, type StepQueue } from './step-queue.js'
