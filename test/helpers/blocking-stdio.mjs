// Loaded into every test process by test/run.sh. With --test-force-exit, Node's test runner ends a test file's
// process with process.exit() while the end of its report may still sit in the pipe to the parent (stdout is
// asynchronous on Linux pipes; nodejs/node#64833, open): the parent then lists fewer tests than ran. Blocking writes
// make the report complete before the exit.
for (const stream of [process.stdout, process.stderr]) stream._handle?.setBlocking?.(true)
