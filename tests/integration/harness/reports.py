"""One line per check and a count at the end, with every test secret scrubbed from what is printed."""

# A check with thousands of problems (one per token, say) prints only the first few.
PROBLEMS_SHOWN = 5


class Report:
    """`check(name, problems)` passes when `problems` is empty; `expect(name, condition, detail)` is the same
    for a plain condition. `finish()` prints `N passed, M failed` and returns the exit status."""

    def __init__(self, *secrets):
        self.secrets = [secret for secret in secrets if secret]
        self.passed = 0
        self.failed = 0

    def scrub(self, text):
        for secret in self.secrets:
            text = text.replace(secret, "<test secret>")
        return text

    def check(self, name, problems, detail=""):
        if problems:
            self.failed += 1
            shown = "; ".join(str(p) for p in problems[:PROBLEMS_SHOWN])
            more = f" (+{len(problems) - PROBLEMS_SHOWN} more)" if len(problems) > PROBLEMS_SHOWN else ""
            print(self.scrub(f"FAIL {name}: {shown}{more}"), flush=True)
        else:
            self.passed += 1
            print(self.scrub(f"ok   {name}" + (f" ({detail})" if detail else "")), flush=True)

    def expect(self, name, condition, detail=""):
        self.check(name, [] if condition else [detail or "not so"])

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 0 if self.failed == 0 else 1
