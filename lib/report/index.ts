/** Run reports: the versioned JSON document (`--json`) and the self-contained HTML page (`--report`). */
export { JSON_REPORT_SCHEMA, jsonReportText, toJsonReport } from './json.ts'
export type { HostOutcome, JsonHost, JsonReport, JsonTask, ReportExtra, RunOutcome } from './json.ts'
export { renderHtmlReport, writeHtmlReport } from './html.ts'
export type { HtmlReportOptions } from './html.ts'
