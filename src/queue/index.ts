export { createRedisCronQueue, type CronQueue, type CronSchedule, type CronTick } from './cron-queue.js'
export { createRedisStepQueue, stepJobId, type StepJob, type StepJobData, type StepQueue } from './step-queue.js'
