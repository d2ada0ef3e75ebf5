"""Helper library for the course *Deep Learning Software, hands-on*.

Import the module you need (``from course_lib import timing``); importing the package itself
stays light and loads neither torch nor TensorFlow. Every public function checks its
arguments and raises :class:`course_lib.errors.CourseInputError` for bad input.

What the lessons import (module: what it holds; lessons that use it):

- ``autograd_tools``: the ``grad_fn`` tree behind a tensor, as text; 03.
- ``benchmarks``: matmul / add / copy throughput sweeps, roofline tables, GPU records; 02.
- ``codeview``: several functions' source side by side; 12.
- ``data``: shipped files under ``data/``, checked against their SHA-256 manifest; 13 (and the
  modules that read shipped data).
- ``datasets``: image datasets, transforms, collate functions, loader timing; 06, 07.
- ``devices``: the devices torch can use, ``best_device()`` (or ``$COURSE_DEVICE``), ``device_of``,
  ``synchronize``; 00-03, 05-07, 09-13 (every lesson that uses PyTorch).
- ``digits``: scikit-learn's 8x8 digits as a train/validation split; 04, 05.
- ``distributed``: data-parallel training on local processes (gloo), always cleaned up; 11.
- ``errors``: ``CourseInputError`` and the argument checks every module uses; all, indirectly.
- ``exercises`` / ``solutions``: ``check``, ``solution`` and the hidden reference answers; 00-13.
- ``frameworks``: quiet imports of TensorFlow, and versions; 00, 01, 04, 06, 10-12.
- ``hosted``: every lesson's first cell; on Colab and similar runtimes it installs the course; 00-13.
- ``gpt``: a tiny decoder-only transformer with a KV cache, its training and sampling; 13.
- ``live``: ``LivePlot``, a loss plot streamed to Visdom or drawn inline; 00, 05, 13.
- ``load``: how busy the machine was while something was measured; 02 (and ``timing``).
- ``memory``: a process's PSS, and handing freed memory back; 06, 07.
- ``onnx_tools``: export to ONNX and describe the file; 09, 13.
- ``opencv_apps``: known truths for panoramas, camera motion and stereo point clouds; 08.
- ``pretrained``: EfficientNet-Lite0 with offline ImageNet weights, in PyTorch; 07, 09.
- ``pretrained_keras``: the same network and weights in Keras; 07.
- ``profiling``: labelled spans read from a ``torch.profiler`` trace, the share spent waiting, a
  timeline; 06.
- ``records``: recorded measurements the prose relies on, and their claims; 02, 04, 06, 07, 09-13.
- ``seed``: ``seed_everything``; 00-13.
- ``settings``: the servers' ports and addresses, from the environment; 04 (and ``live``).
- ``tensor_pictures``: pictures of broadcasting; 01.
- ``tfevents``: TensorBoard run folders and the scalars read back; 04.
- ``timing``: ``benchmark`` (warm-up, synchronisation, repeats, median); 00, 02, 04, 06-10, 12, 13.
- ``training``: ``fit``, the training loop of lesson 05 as one call, ``train_epoch``, ``evaluate``,
  resumable checkpoints (``save_checkpoint``, ``load_checkpoint``) and ``progress_bar``; 05, 07.
- ``trees``: binary trees as nested tuples and a recursive network; 10.
- ``twolayer``: the lecture's two-layer ReLU network problem; 03, 12.
- ``vision``: OpenCV images and torch tensors, and measuring helpers; 08, 09.

Course tooling lives in ``course_lib.tools`` (the ``course``
command, ``course doctor``, ``course progress``, the Visdom and TensorBoard servers); of the
lessons, only 00 imports from it, to show the ``course doctor`` report.
"""

__version__ = "0.1.0"
