"""Reference solutions for lesson 04 (TensorFlow graphs)."""

from course_lib.frameworks import import_tensorflow

tf = import_tensorflow()


def count_traces() -> int:
    # call 1: shape (2,), scale 2.0       -> trace 1
    # call 2: shape (2,), scale 2.0       -> reuses trace 1 (the values of x do not matter)
    # call 3: shape (3,), scale 2.0       -> trace 2 (new shape)
    # call 4: shape (2,), scale 3.0       -> trace 3 (new Python value)
    # call 5: shape (2,), scale a tensor  -> trace 4 (a float32 scalar tensor, not a Python number)
    # call 6: shape (2,), another tensor  -> reuses trace 4 (only its shape and dtype count)
    return 4


def mse_gradient(w, x, y):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((tf.matmul(x, w) - y) ** 2)
    return tape.gradient(loss, w)


def sgd_step(w, grad, lr):
    w.assign_sub(lr * grad)
