"""The store as a rule catalogue: tags, saved segments, the product catalogue, optional tables."""

from __future__ import annotations

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from siyu.commerce.tables import Category, Product, Sku
from siyu.segments.parse import SavedRule
from siyu.segments.tables import Segment, Tag, TagGroup


class StoreCatalogue:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._tables: dict[str, bool] = {}

    def tags(self, name: str) -> list[tuple[int, str | None]]:
        rows = self.session.execute(
            select(Tag.id, TagGroup.name)
            .outerjoin(TagGroup, TagGroup.id == Tag.group_id)
            .where(Tag.name == name)
            .order_by(Tag.id)
        )
        return [(tag_id, group) for tag_id, group in rows]

    def segment(self, reference: str) -> SavedRule | None:
        segment = find_segment(self.session, reference)
        return SavedRule(segment.id, segment.name, segment.rule) if segment else None

    def sku_id(self, code: str) -> int | None:
        return self.session.scalar(select(Sku.id).where(Sku.code == code))

    def product_id(self, code: str) -> int | None:
        return self.session.scalar(select(Product.id).where(Product.code == code))

    def category_id(self, name: str) -> int | None:
        return self.session.scalar(select(Category.id).where(Category.name == name))

    def has_table(self, name: str) -> bool:
        if name not in self._tables:
            self._tables[name] = inspect(self.session.connection()).has_table(name)
        return self._tables[name]


def find_segment(session: Session, reference: str) -> Segment | None:
    """A segment by its code (built-ins), else by its name."""
    by_code = session.scalars(select(Segment).where(Segment.code == reference)).first()
    return by_code or session.scalars(select(Segment).where(Segment.name == reference)).first()
