"""Reference solutions to the exercises. Try the exercise first: these are the answers."""
