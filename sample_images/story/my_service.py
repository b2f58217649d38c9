# The "hello world" service of the image-size story. It imports requests only so that
# installing it matters to the image.
import requests  # noqa: F401

print('hello world')
