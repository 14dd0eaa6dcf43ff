// Package reports holds edgeproof's test report model and the writers that
// turn one report into the files a CI job publishes:
//
//   - junit.xml   for CI test tabs (WriteJUnit)
//   - report.json the versioned, schema-checked source of truth (WriteJSON)
//   - summary.md  for a CI job summary page (WriteSummary)
//   - index.html  one self-contained page with timelines and charts (WriteHTML)
//
// WriteAll writes all four; Render rebuilds the human-facing files from an
// existing report.json. The package has no test-framework dependency: the e2e
// suites convert their framework's report into a Report.
package reports
