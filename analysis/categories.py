"""The categories of the Chinese regulators' app notices, as data.

Every rule in analysis/rules.yaml names one `category` key from CATEGORIES; every finding
carries its rule's category. The order of CATEGORIES is the order in which the console
summary, the workbook and the page group findings. Chinese names follow the recurring
categories of the 2024-2026 typical-violation notices and 《App违法违规收集使用个人信息行为认定方法》
(shared/regulations/cn-rules.md A6); they are our grouping headings, not quotations.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    key: str
    zh: str
    en: str

    @property
    def label(self) -> str:
        return f"{self.zh} / {self.en}"

    def to_dict(self) -> dict[str, str]:
        return {"key": self.key, "zh": self.zh, "en": self.en}


_ROWS = (
    ("purpose_scope_not_stated", "未公开收集使用规则 / 未明示收集使用个人信息的目的、方式和范围",
     "Collection rules not published, or purpose, method and scope of collection not stated"),
    ("permission_purpose_not_stated", "申请打开可收集个人信息的权限时未同步告知目的",
     "Purpose not stated when a permission that can collect personal information is requested"),
    ("collected_before_consent", "未经用户同意收集使用个人信息（含同意前收集、拒绝后仍收集）",
     "Personal information collected or used without consent (before consent, or after refusal)"),
    ("beyond_authorised_scope", "超出用户授权范围收集个人信息",
     "Personal information collected beyond the scope the user authorised"),
    ("permission_beyond_necessity", "违反必要原则，收集与提供的服务无关的个人信息、申请与业务功能无关的权限",
     "Necessity principle breached: personal information or permissions unrelated to the service"),
    ("no_correction_deletion_cancellation", "未提供有效的更正、删除个人信息及注销用户账号功能",
     "No effective way to correct or delete personal information or to cancel the account"),
    ("no_personalisation_opt_out", "未提供关闭个性化推荐/定向推送的选项",
     "No option to turn off personalised recommendations or targeted push"),
    ("other", "其他（明文传输、跨境传输、后台收集等）",
     "Other (clear-text transfer, cross-border transfer, background collection, ...)"),
)

CATEGORIES: dict[str, Category] = {k: Category(k, zh, en) for k, zh, en in _ROWS}
ORDER: dict[str, int] = {k: i for i, k in enumerate(CATEGORIES)}
DEFAULT = "other"


def get(key: str | None) -> Category:
    """The category of `key`; an unknown or missing key is `other` (findings of old analyses)."""
    return CATEGORIES.get(key or DEFAULT, CATEGORIES[DEFAULT])


def label(key: str | None) -> str:
    return get(key).label
