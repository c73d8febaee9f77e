"""The errors of a request body that is a union discriminated by one field (an event by its
`type`, an integration by its `provider`), in the words of that field: pydantic places each
error under the name of the member it tried and says "Field required" or "Extra inputs are
not permitted"; a client needs the field's place in its body, and which kinds take it."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any, Final, get_args

from pydantic import BaseModel, ValidationError, ValidatorFunctionWrapHandler, WrapValidator
from pydantic_core import InitErrorDetails, PydanticCustomError
from pydantic_core.core_schema import ErrorType

_ERROR_TYPES: Final = frozenset(get_args(ErrorType))
_TAG_ERRORS: Final = frozenset({"union_tag_invalid", "union_tag_not_found"})


def _a(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def tag_of(model: type[BaseModel], field: str) -> StrEnum:
    """The one value the member's `Literal` discriminator field takes."""
    (value,) = get_args(model.model_fields[field].annotation)
    assert isinstance(value, StrEnum)
    return value


class TaggedErrors:
    """A wrap validator for `Annotated[Union[...], Discriminator(field), WrapValidator(...)]`
    whose errors sit at the field's place in the body and name the members' tags."""

    def __init__(self, members: Sequence[type[BaseModel]], *, field: str, noun: str) -> None:
        self.field, self.noun = field, noun
        self.tags = [tag_of(member, field).value for member in members]
        shared = set.intersection(*(set(member.model_fields) for member in members))
        # For each field of some members only: the tags of the members that carry it.
        self.carried_by = {
            name: sorted(tag_of(member, field).value for member in members if name in member.model_fields)
            for member in members
            for name in member.model_fields
            if name not in shared
        }

    def validator(self) -> WrapValidator:
        return WrapValidator(self._validate)

    def _validate(self, value: object, handler: ValidatorFunctionWrapHandler) -> object:
        try:
            return handler(value)
        except ValidationError as error:
            details = [self._explained(problem, value) for problem in error.errors()]
            raise ValidationError.from_exception_data(error.title, details) from None

    def _explained(self, error: Any, value: object) -> InitErrorDetails:
        kind, loc = error["type"], tuple(error["loc"])
        if kind in _TAG_ERRORS and isinstance(value, dict):
            message = f"The {self.field} of {_a(self.noun)} is one of {', '.join(self.tags)}."
            return InitErrorDetails(
                type=PydanticCustomError(kind, message), loc=(self.field,), input=value.get(self.field)
            )
        if not isinstance(value, dict) or not loc:
            message = f"Expected a JSON object with a {self.field}."
            return InitErrorDetails(type=PydanticCustomError("model_type", message), loc=(), input=value)
        # The first part of the place is the member's tag, which the body does not hold.
        tag, loc = str(loc[0]), loc[1:]
        name = str(loc[0]) if len(loc) == 1 else None
        if kind == "missing" and name is not None:
            message = f"{_a(tag).capitalize()} {self.noun} needs {name}."
            return InitErrorDetails(type=PydanticCustomError(kind, message), loc=loc, input=error["input"])
        if kind == "extra_forbidden" and name is not None:
            carried_by = self.carried_by.get(name)
            message = (
                f"Only {_a(' or '.join(carried_by))} {self.noun} carries {name}."
                if carried_by
                else f"No {self.noun} carries {name}."
            )
            return InitErrorDetails(type=PydanticCustomError(kind, message), loc=loc, input=error["input"])
        if kind in _ERROR_TYPES:
            return InitErrorDetails(type=kind, loc=loc, input=error["input"], ctx=error.get("ctx") or {})
        return InitErrorDetails(type=PydanticCustomError(kind, error["msg"]), loc=loc, input=error["input"])
