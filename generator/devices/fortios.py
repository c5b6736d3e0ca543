"""Placeholder: written next."""

SOURCE = ""


def render(config):
    from .site import DeviceConfigError

    raise DeviceConfigError("fortios: not written yet")
