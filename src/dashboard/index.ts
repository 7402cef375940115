export { dashboard } from './dashboard.js'
export type { DashboardEngine, DashboardHandler, DashboardOptions, TenantAccess } from './options.js'
