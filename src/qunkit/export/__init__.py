"""Writers that turn store rows back into other tools' formats (``qunkit export``)."""
