"""Benchmarks: drusilla against the OpenAI Agents SDK and Pydantic AI.

`python -m bench` runs every scenario on every framework, each framework in fresh subprocesses,
and writes docs/benchmarks.md. See bench/README.md.
"""
