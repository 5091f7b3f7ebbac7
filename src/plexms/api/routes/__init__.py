"""The API's routers, each a small module by concept."""

__all__: list[str] = []  # the subpackages and modules are imported by name
