"""Course tooling, not imported by the lessons: the ``course`` command and what it runs.

- ``cli``: the ``course`` command (doctor, start, visdom, tensorboard, solution, progress).
- ``doctor``: checks versions, devices, Visdom and the shipped data of this checkout.
- ``launcher``: ``scripts/start.sh``: Visdom, TensorBoard and JupyterLab together.
- ``visdom_assets``, ``visdom_server``: Visdom's front-end files from npm, and the offline server.
- ``tensorboard_server``: TensorBoard on 127.0.0.1 over the lessons' logs.
- ``notebook_runner``: executes a notebook in a fresh kernel (shared by ``progress`` and
  ``scripts/run_notebooks.py``), sampling its memory.
- ``progress``: ``course progress``, the exercise report for learners and instructors.
- ``site``: ``scripts/site.sh``, the course website built from the stored outputs (offline).
- ``verified``: the pytest plugin that records which lessons passed nbval strict, and when.
- ``drift``: ``scripts/drift.sh``'s lesson runner (warnings per lesson line) and its report.
"""
