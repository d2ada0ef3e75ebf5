"""Print the bad-input sweep's counts: ``cd tests && python -m bad_inputs [-v]``."""

import sys
from collections import Counter

from bad_inputs import all_cases, outcome

cases = all_cases()
counts: Counter[str] = Counter()
for case in cases:
    kind, detail = outcome(case)
    counts[kind] += 1
    if "-v" in sys.argv and kind != "clear":
        print(f"{kind:6s} {case.name}: {detail[:160]}")
names = {c.name for c in cases}
print(f"{len(cases)} calls over {len(names)} public names: {counts['clear']} clear CourseInputError, "
      f"{counts['raw']} raw or unclear errors, {counts['silent']} silently accepted")
