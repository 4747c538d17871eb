"""The data contracts shipped with iotforge: Great Expectations suites as JSON files.

``iotforge validate --suite NAME`` looks in the user's ``expectations/`` folder first,
then here (read through :mod:`importlib.resources`, so it works from a wheel).
"""

__all__: list[str] = []
