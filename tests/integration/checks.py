"""Pass/fail counting shared by the Python sides of the integration tests:
ok() records a check (printing the failures), finish() prints the
"N passed, M failed" line the shell tests read and gives the exit status."""
passed = failed = 0


def ok(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what)


def finish():
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0
