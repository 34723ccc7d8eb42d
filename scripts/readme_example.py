"""Print the README's first Python block (the example a new user copies into a script)."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
print(re.findall(r"^```python\n(.*?)^```", README.read_text(), re.DOTALL | re.MULTILINE)[0])
