"""Index specs: construction, TOML loading, the shipped specs, and every error message."""

import pytest

from forewarn.errors import InputError
from forewarn.index import (
    IndexSpec,
    Leaf,
    Node,
    ReliabilityRule,
    demo_spec,
    inform_spec,
    load_index_spec,
)

GOOD = """
[index]
name = "t"
root = "risk"
rounding = 1

[reliability]
low_below = 0.5

[nodes.risk]
aggregation = "geometric"
children = ["hazard", "c"]
weights = [2, 1]

[nodes.hazard]
aggregation = "inform_geometric"
children = ["a", "b"]

[indicators.a]
direction = 1
log = true
capping = "percentile"
p_low = 0
p_high = 95

[indicators.b]
direction = -1
capping = "iqr"
iqr_k = 3

[indicators.c]
direction = 1
bounds = [0, 10]
"""

from forewarn.datasets import demo_catalogue  # noqa: E402

# The demo index uses the demo world's own indicators.
DEMO_IDS = set(demo_catalogue())


def test_load_good_spec(write_spec):
    spec = load_index_spec(write_spec(GOOD))
    assert spec.root == "risk" and spec.rounding == 1
    assert spec.indicators == ("a", "b", "c")
    assert spec.node_order == ("risk", "hazard")
    assert spec.node("risk").child_weights == (2, 1)
    assert spec.leaf("a").percentiles == (0, 95)
    assert spec.leaf("b").fence_k == 3
    assert spec.reliability == ReliabilityRule(low_below=0.5)
    assert spec.path("b") == ("risk", "hazard", "b")


def test_defaults():
    leaf = Leaf("x", 1, capping="percentile")
    assert leaf.percentiles == (1.0, 99.0)
    assert Leaf("x", 1, capping="iqr").fence_k == 1.5
    assert Node("n", ("x",)).child_weights == (1.0,)


def test_demo_spec_uses_demo_world_ids():
    spec = demo_spec()
    assert set(spec.indicators) <= DEMO_IDS
    assert "population" not in spec.indicators
    assert [spec.path(i)[1] for i in ("conflict_deaths", "poverty", "state_capacity")] == [
        "hazard", "vulnerability", "lack_of_coping"]
    assert spec.node("risk").children == ("hazard", "vulnerability", "lack_of_coping")


def test_inform_spec_shape():
    spec = inform_spec()
    assert spec.rounding == 1
    assert spec.node("risk").children == (
        "hazard_exposure", "vulnerability", "lack_of_coping_capacity")
    assert len(spec.indicators) == 21
    assert all(spec.leaf(i).bounds == (0, 10) for i in spec.indicators)


def _replace(old, new):
    assert old in GOOD
    return GOOD.replace(old, new)


BAD = [
    ("unknown aggregation",
     _replace('aggregation = "geometric"', 'aggregation = "geometrc"'),
     r"\[nodes.risk\] 'aggregation' is 'geometrc'; use one of 'arithmetic', 'geometric', "
     r"'inform_geometric', 'max'. Did you mean 'geometric'\?"),
    ("unknown node field",
     _replace("weights = [2, 1]", "weight = [2, 1]"),
     r"\[nodes.risk\] names unknown field 'weight'. Did you mean 'weights'\?"),
    ("unknown indicator field",
     _replace("iqr_k = 3", "fence = 3"),
     r"\[indicators.b\] names unknown field 'fence'"),
    ("unknown index field",
     _replace('root = "risk"', 'root = "risk"\nroots = 1'),
     r"\[index\] names unknown field 'roots'. Did you mean 'root'\?"),
    ("unknown reliability field",
     _replace("low_below = 0.5", "low_belw = 0.5"),
     r"\[reliability\] names unknown field 'low_belw'. Did you mean 'low_below'\?"),
    ("unknown top-level table",
     GOOD + "\n[node.x]\nchildren = ['a']\n",
     r"unknown top-level table 'node'. Did you mean 'nodes'\?"),
    ("missing index table",
     GOOD.replace('[index]\nname = "t"\nroot = "risk"\nrounding = 1\n', ""),
     r"lacks the \[index\] table; add it"),
    ("missing required field",
     _replace('name = "t"\n', ""),
     r"\[index\] lacks the required field 'name'"),
    ("missing direction",
     _replace("direction = -1\n", ""),
     r"\[indicators.b\] lacks the required field 'direction'"),
    ("cycle",
     _replace('children = ["a", "b"]', 'children = ["a", "b", "risk"]'),
     r"the hierarchy has a cycle: risk -> hazard -> risk; a node cannot be its own ancestor"),
    ("indicator twice",
     _replace('children = ["a", "b"]', 'children = ["a", "b", "c"]'),
     r"'c' sits under 2 parents \(risk, hazard\); an indicator or node may appear once"),
    ("child listed twice",
     _replace('children = ["a", "b"]', 'children = ["a", "b", "a"]'),
     r"\[nodes.hazard\] lists child 'a' more than once"),
    ("negative weight",
     _replace("weights = [2, 1]", "weights = [2, -1]"),
     r"\[nodes.risk\] 'weights' \[2, -1\] include a negative weight; weights must be >= 0"),
    ("zero weights",
     _replace("weights = [2, 1]", "weights = [0, 0]"),
     r"\[nodes.risk\] 'weights' are all 0; give at least one weight above 0"),
    ("weights length",
     _replace("weights = [2, 1]", "weights = [2, 1, 1]"),
     r"\[nodes.risk\] has 3 weights for 2 children; give one weight per child"),
    ("max weights above 1",
     _replace('aggregation = "geometric"', 'aggregation = "max"'),
     r"\[nodes.risk\] 'weights' \[2, 1\] go above 1; for 'max' the weights multiply"),
    ("weights not numbers",
     _replace("weights = [2, 1]", 'weights = [2, "x"]'),
     r"'weights' must all be finite numbers"),
    ("unknown child",
     _replace('children = ["a", "b"]', 'children = ["a", "bb"]'),
     r"\[nodes.hazard\] child 'bb' is neither a declared node nor a declared indicator; add "
     r"\[nodes.bb\] or \[indicators.bb\]. Did you mean 'b'\?"),
    ("declared but unused",
     GOOD + "\n[indicators.d]\ndirection = 1\n",
     r"indicator 'd' is declared but not under root 'risk'; add it to a node's 'children'"),
    ("root not a node",
     _replace('root = "risk"', 'root = "top"'),
     r"\[index\] 'root' is 'top', which is not a declared node"),
    ("root with a parent",
     _replace('children = ["a", "b"]', 'children = ["a", "b"]\n[nodes.top]\nchildren = ["risk"]'),
     r"root 'risk' is also the child of top; the root must have no parent"),
    ("reserved name",
     _replace('[indicators.c]', '[indicators.reliability]').replace('"hazard", "c"',
                                                                   '"hazard", "reliability"'),
     r"'reliability' is the name of an output variable; rename the node or indicator"),
    ("node and indicator",
     GOOD + "\n[indicators.hazard]\ndirection = 1\n",
     r"'hazard' is declared both as a node and as an indicator"),
    ("empty children",
     _replace('children = ["a", "b"]', "children = []"),
     r"\[nodes.hazard\] 'children' must be a non-empty list of ids"),
    ("children not a list",
     _replace('children = ["a", "b"]', 'children = "a"'),
     r"\[nodes.hazard\] 'children' must be a list"),
    ("direction",
     _replace("direction = -1", "direction = 2"),
     r"\[indicators.b\] 'direction' is 2; use 1 \(higher is riskier\) or -1"),
    ("direction 0",
     _replace("direction = -1", "direction = 0"),
     r"\[indicators.b\] 'direction' is 0: an indicator without a risk direction cannot enter "
     r"an index"),
    ("capping",
     _replace('capping = "iqr"', 'capping = "winsor"'),
     r"\[indicators.b\] 'capping' is 'winsor'; use one of 'none', 'iqr', 'percentile'"),
    ("iqr_k without iqr",
     _replace("p_high = 95", "p_high = 95\niqr_k = 2"),
     r"\[indicators.a\] 'iqr_k' only applies with capping = 'iqr'; remove it"),
    ("iqr_k not positive",
     _replace("iqr_k = 3", "iqr_k = 0"),
     r"\[indicators.b\] 'iqr_k' is 0; use a number above 0"),
    ("percentile without percentile capping",
     _replace("iqr_k = 3", "iqr_k = 3\np_low = 5"),
     r"\[indicators.b\] 'p_low' only applies with capping = 'percentile'; remove it"),
    ("percentile out of range",
     _replace("p_high = 95", "p_high = 150"),
     r"\[indicators.a\] 'p_high' is 150; use a percentile from 0 to 100"),
    ("percentiles reversed",
     _replace("p_low = 0", "p_low = 99"),
     r"\[indicators.a\] 'p_low' \(99.0\) must be below 'p_high' \(95.0\)"),
    ("bounds reversed",
     _replace("bounds = [0, 10]", "bounds = [10, 0]"),
     r"\[indicators.c\] 'bounds' \[10, 0\]: low must be below high"),
    ("bounds malformed",
     _replace("bounds = [0, 10]", "bounds = [0, 10, 20]"),
     r"\[indicators.c\] 'bounds' is \[0, 10, 20\]; give two finite numbers \[low, high\]"),
    ("bounds and capping",
     _replace("bounds = [0, 10]", 'bounds = [0, 10]\ncapping = "iqr"'),
     r"\[indicators.c\] has fixed 'bounds' and capping = 'iqr'; .* use one or the other"),
    ("log with negative bounds",
     _replace("bounds = [0, 10]", "bounds = [-1, 10]\nlog = true"),
     r"\[indicators.c\] 'bounds' \[-1, 10\] start below 0 but 'log' is true"),
    ("log not a bool",
     _replace("log = true", 'log = "yes"'),
     r"\[indicators.a\] 'log' is 'yes'; use true or false"),
    ("rounding",
     _replace("rounding = 1", "rounding = -1"),
     r"\[index\] 'rounding' is -1; use a whole number of decimals from 0 to 10"),
    ("low_below",
     _replace("low_below = 0.5", "low_below = 2"),
     r"\[reliability\] 'low_below' is 2; use a number from 0 to 1"),
    ("age months order",
     _replace("low_below = 0.5", "age_full_months = 80"),
     r"\[reliability\] 'age_full_months' \(80\) must be below 'age_zero_months' \(72.0\)"),
    ("not TOML",
     GOOD + "\n[[[",
     r"does not parse as TOML"),
]


@pytest.mark.parametrize(("text", "pattern"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_spec(write_spec, text, pattern):
    path = write_spec(text)
    with pytest.raises(InputError, match=pattern) as info:
        load_index_spec(path)
    assert str(path) in str(info.value)


def test_all_problems_reported_at_once(write_spec):
    text = _replace("weights = [2, 1]", "weights = [2, -1]").replace("direction = 0", "")
    text = text.replace('capping = "iqr"', 'capping = "winsor"')
    with pytest.raises(InputError, match=r"2 problems found:") as info:
        load_index_spec(write_spec(text))
    assert len(info.value.problems) == 2


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"file not found"):
        load_index_spec(tmp_path / "nope.toml")


def test_python_construction_is_checked():
    with pytest.raises(InputError, match=r"index spec, column 'aggregation': \[nodes.n\] "
                                         r"'aggregation' is 'mean'"):
        Node("n", ("a",), "mean")
    with pytest.raises(InputError, match=r"'direction' is 2"):
        Leaf("a", 2)
    with pytest.raises(InputError, match=r"\[reliability\] 'low_below' is -0.1"):
        ReliabilityRule(low_below=-0.1)
    with pytest.raises(InputError, match=r"\[index\] 'name' must be a non-empty string"):
        IndexSpec("", "r", (Node("r", ("a",)),), (Leaf("a", 1),))


def test_spec_is_frozen():
    spec = demo_spec()
    with pytest.raises(AttributeError):
        spec.root = "x"
