"""Renderings of analysis results: terminal (rich / plain text); HTML later."""
