"""CloudFormation short tags and intrinsic functions, as far as the local stack needs them.

The loader turns ``!Ref X`` into ``{"Ref": "X"}`` and ``!Sub ...`` into ``{"Fn::Sub": ...}``,
the long form that CloudFormation itself reads. The resolver then gives each reference its
local value: a table's local name, a queue's moto URL, a secret's moto ARN.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

NO_VALUE = object()
_SUB_VARIABLE = re.compile(r"\$\{([^}]+)\}")


class UnresolvedError(Exception):
    """A reference has no local value, or uses a function the local stack does not run."""


class TemplateLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (``!Ref``, ``!GetAtt``, ``!Sub`` ...)."""


def _short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)  # noqa: S101 - YAML has only three kinds
        value = loader.construct_mapping(node, deep=True)

    if suffix in {"Ref", "Condition"}:
        return {suffix: value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


TemplateLoader.add_multi_constructor("!", _short_tag)


def load_yaml(text: str) -> dict[str, Any]:
    document = yaml.load(text, Loader=TemplateLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(document, dict):
        raise UnresolvedError("the template is not a YAML mapping")
    return document


def referenced_resource(value: Any) -> str | None:
    """The logical id that ``!Ref X``, ``!GetAtt X.Attr`` or ``!Sub ${X.Attr}`` points at."""
    if not isinstance(value, dict) or len(value) != 1:
        return None
    ((key, argument),) = value.items()
    if key == "Ref" and isinstance(argument, str):
        return argument
    if key == "Fn::GetAtt" and isinstance(argument, list) and argument:
        return str(argument[0])
    if key == "Fn::Sub" and isinstance(argument, str):
        match = _SUB_VARIABLE.fullmatch(argument)
        return match.group(1).split(".", 1)[0] if match else None
    return None


@dataclass
class Resolver:
    """Gives each reference its local value.

    ``refs`` holds what ``!Ref`` returns for a logical id, ``attributes`` what ``!GetAtt``
    returns; the local stack fills both as it creates the resources.
    """

    parameters: Mapping[str, Any]
    pseudo: Mapping[str, str]
    conditions: Mapping[str, Any] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, argument),) = value.items()
                function = self._functions().get(key)
                if function:
                    return function(argument)
                if key.startswith("Fn::") or key == "Condition":
                    raise UnresolvedError(f"{key} is not supported by the local stack")
            resolved = {k: self.resolve(v) for k, v in value.items()}
            return {k: v for k, v in resolved.items() if v is not NO_VALUE}
        if isinstance(value, list):
            items = [self.resolve(item) for item in value]
            return [item for item in items if item is not NO_VALUE]
        return value

    def text(self, value: Any) -> str:
        resolved = self.resolve(value)
        if isinstance(resolved, dict | list):
            raise UnresolvedError(f"expected a string, got {resolved!r}")
        return str(resolved)

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            raise UnresolvedError(f"condition {name} is not defined")
        return self._truth(self.conditions[name])

    def _functions(self) -> dict[str, Callable[[Any], Any]]:
        return {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": self._join,
            "Fn::If": self._if,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
        }

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        for source in (self.parameters, self.pseudo, self.refs):
            if name in source:
                return source[name]
        raise UnresolvedError(f"!Ref {name} has no local value")

    def _get_att(self, argument: list[Any]) -> str:
        logical_id, attribute = str(argument[0]), self.text(argument[1])
        try:
            return self.attributes[(logical_id, attribute)]
        except KeyError:
            raise UnresolvedError(f"!GetAtt {logical_id}.{attribute} has no local value") from None

    def _sub(self, argument: str | list[Any]) -> str:
        if isinstance(argument, str):
            template, variables = argument, {}
        else:
            template, variables = argument[0], self.resolve(argument[1])

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name and name not in self.parameters:
                return self._get_att(name.split(".", 1))
            return str(self._ref(name))

        return _SUB_VARIABLE.sub(replace, template)

    def _join(self, argument: list[Any]) -> str:
        separator, parts = argument
        return str(separator).join(str(part) for part in self.resolve(parts))

    def _if(self, argument: list[Any]) -> Any:
        name, when_true, when_false = argument
        return self.resolve(when_true if self.condition(name) else when_false)

    def _select(self, argument: list[Any]) -> Any:
        index, items = argument
        return self.resolve(items)[int(self.resolve(index))]

    def _split(self, argument: list[Any]) -> list[str]:
        separator, text = argument
        return self.text(text).split(separator)

    def _truth(self, expression: Any) -> bool:
        if not isinstance(expression, dict) or len(expression) != 1:
            raise UnresolvedError(f"not a condition: {expression!r}")
        ((key, argument),) = expression.items()
        match key:
            case "Condition":
                return self.condition(argument)
            case "Fn::Equals":
                left, right = (self.resolve(side) for side in argument)
                return str(left) == str(right)
            case "Fn::Not":
                return not self._truth(argument[0])
            case "Fn::And":
                return all(self._truth(part) for part in argument)
            case "Fn::Or":
                return any(self._truth(part) for part in argument)
        raise UnresolvedError(f"{key} is not supported in local conditions")
