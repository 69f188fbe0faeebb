"""The partner API's bodies (pydantic), and the OpenAPI document's source.

A partner's intake is the staff API's (:class:`caseapp.cases.schemas.IntakeIn`)
without ``unit``: the token's unit is the only one it may file into. The
answers carry the reference and the stage: never child data.
"""
from __future__ import annotations

from pydantic import Field, create_model, field_validator

from caseapp.api.schemas import Answer, Body
from caseapp.cases.data import IntakeData
from caseapp.cases.schemas import IntakeIn

_names_alone = IntakeIn.__pydantic_decorators__.field_validators["_names_alone"].func

_PartnerIntakeFields = create_model(
    "_PartnerIntakeFields", __base__=Body,
    __validators__={"_names_alone": field_validator("offender_accounts",
                                                    mode="before")(_names_alone)},
    **{name: (info.annotation, info) for name, info in IntakeIn.model_fields.items()
       if name != "unit"})


class PartnerIntakeIn(_PartnerIntakeFields):
    """Form Mẫu 01 from a partner's system, filed into the token's unit. Codes
    are those of the admin-editable lists (channel: where the report came in,
    e.g. hotline_111)."""

    def to_data(self, unit_code: str) -> IntakeData:
        values = {name: getattr(self, name) for name in type(self).model_fields}
        return IntakeIn.model_construct(unit=unit_code, **values).to_data()


class PartnerRecorded(Answer):
    reference: str = Field(description="The case's reference, to ask its stage later")
    stage: str = Field(description="The case's stage code (intake at first)")


class PartnerCaseStatus(Answer):
    reference: str
    stage: str = Field(description="intake, assessment, support, referral or closure")
    stage_label: str = Field(description="The stage in words (the caller's language)")
