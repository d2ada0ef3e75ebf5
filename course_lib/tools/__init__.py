"""Course tooling, not imported by the lessons: the ``course`` command and what it runs.

- ``cli``: the ``course`` command (doctor, start, visdom, tensorboard, solution, progress, class).
- ``parsing``: the one-line argument parser every command uses (a leaf: it imports no tool).
- ``doctor``: checks versions, devices, Visdom and the shipped data of this checkout.
- ``launcher``: ``scripts/start.sh``: Visdom, TensorBoard and JupyterLab together.
- ``visdom_assets``, ``visdom_server``: Visdom's front-end files from npm, and the offline server.
- ``tensorboard_server``: TensorBoard on 127.0.0.1 over the lessons' logs.
- ``notebook_runner``: executes a notebook in a fresh kernel (shared by ``progress`` and
  ``scripts/run_notebooks.py``), sampling its memory.
- ``progress``: ``course progress``, the exercise report for learners and instructors.
- ``solutions_text``: what ``course solution`` prints, shaped to paste over the exercise cell,
  and the audit of each lesson's exercise cells (``tests/test_solutions_paste.py``).
- ``class_report``: ``course class``, a class's results from the learners' progress reports.
- ``hub``, ``learner_servers``, ``hub_proxy``, ``sizing``: a class on JupyterHub
  (deploy/README.md): each learner's ports, their Visdom and TensorBoard tied to their server,
  the proxy from npm, and the memory and cores a class needs.
- ``site``: ``scripts/site.sh``, the course website built from the stored outputs (offline).
- ``verified``: the pytest plugin that records which lessons passed nbval strict, and when.
- ``pasted_solutions``: the pytest plugin that, at each check cell nbval runs, pastes what
  ``course solution`` prints into the lesson's kernel and requires the check to pass.
- ``drift``: ``scripts/drift.sh``'s lesson runner (warnings per lesson line) and its report.
- ``numbers``: the numbers with units in a lesson's prose, and whether an output prints them
  (``tests/test_numbers.py``).
"""
