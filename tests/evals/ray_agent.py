"""The agent the Ray eval test's actors import by path (its model comes from DRUSILLA_*), and
its two swords, which the run-evaluator tests use too."""

from drusilla import Agent, sword


@sword
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}"


@sword
def get_time(city: str) -> str:
    """The time in a city."""
    return f"Noon in {city}"


agent = Agent("forecaster", instructions="Look it up.", swords=[get_weather, get_time])
