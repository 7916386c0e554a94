"""qunkit: measure WeChat and QQ group chats from their exported logs.

The package is a library first; ``qunkit.cli`` is a thin face on it::

    from qunkit.store import Store
    msgs = Store("~/qunkit-store").messages()      # pandas DataFrame, canonical columns
"""

__version__ = "0.1.0"
