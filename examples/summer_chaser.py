"""Swords: the model calls Python functions to look things up, then answers.

    python examples/summer_chaser.py ["your question"]

`get_weather` and `is_summer` are swords: plain functions whose type hints and docstrings
become the tool schema the model sees. drusilla validates the model's arguments, runs both
calls of a turn concurrently and sends the results back.
"""

import sys

from drusilla import Agent, Runner, SwordCallItem, SwordCallOutputItem, sword
from drusilla.testing import Turn, call

# A small offline weather table, so the example needs no weather service.
WEATHER = {
    "lisbon": (18, 29, "clear skies"),
    "reykjavik": (3, 11, "drizzle"),
    "tokyo": (22, 31, "humid, scattered showers"),
    "sao paulo": (14, 24, "mild and cloudy"),
}


@sword
def get_weather(city: str) -> dict[str, object]:
    """Today's weather in a city.

    Args:
        city: The city's name, e.g. "Lisbon".
    """
    low, high, conditions = _lookup(city)
    return {"city": city, "low_c": low, "high_c": high, "conditions": conditions}


@sword
def is_summer(city: str) -> bool:
    """Whether it feels like summer in a city today (a high of 25 °C or more).

    Args:
        city: The city's name.
    """
    return _lookup(city)[1] >= 25


def _lookup(city: str) -> tuple[int, int, str]:
    try:
        return WEATHER[city.strip().lower()]
    except KeyError:  # the model is told, and can say so or try another city
        raise ValueError(f"no weather for {city!r}; known cities: {', '.join(WEATHER)}") from None


agent = Agent(
    name="Summer Chaser",
    instructions=(
        "You tell people whether it is summer where they are going. For every city asked "
        "about, call get_weather and is_summer, then answer in two sentences: the weather, "
        "and whether it feels like summer."
    ),
    swords=[get_weather, is_summer],
)

QUESTION = "Is it summer in Lisbon right now?"


def main(question: str = QUESTION) -> None:
    result = Runner.run_sync(agent, question)
    for item in result.new_items:  # what the model asked for, and what it got back
        if isinstance(item, SwordCallOutputItem):
            print(f"  sword result: {item.output}")
        elif isinstance(item, SwordCallItem):
            print(f"  sword call: {item.raw_item['name']}({item.raw_item['arguments']})")
    print(result.final_output)
    print(f"\n({result.usage.requests} model calls)")


OFFLINE_REPLAY = [
    Turn(
        calls=[call("get_weather", city="Lisbon"), call("is_summer", city="Lisbon")],
        reasoning="I need Lisbon's weather and whether it feels like summer: both swords.",
    ),
    "Lisbon has clear skies today, from 18 °C up to 29 °C. Yes — it feels like summer there.",
]

if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or QUESTION)
