"""Helper library for the course *Deep Learning Software, hands-on*.

Import the module you need (``from course_lib import timing``); importing the
package itself stays light and loads neither torch nor TensorFlow.
"""

__version__ = "0.1.0"
