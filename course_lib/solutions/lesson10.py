"""Reference solutions for lesson 10 (static versus dynamic graphs)."""

from course_lib.frameworks import import_tensorflow


def tree_depth(tree) -> int:
    if isinstance(tree, tuple):
        return 1 + max(tree_depth(tree[0]), tree_depth(tree[1]))
    return 1


def collatz_steps_solution():
    """Build the tf.function (a function, so TensorFlow loads only when it is asked for)."""
    tf = import_tensorflow()

    @tf.function
    def collatz_steps(n):
        steps = tf.constant(0)
        while n > 1:
            if n % 2 == 0:
                n = n // 2
            else:
                n = 3 * n + 1
            steps += 1
        return steps

    return collatz_steps


def count_traces_answer() -> int:
    # (0, 1) and (1, 0) differ, and Python ints are part of the signature: 4 distinct trees.
    return 4
