"""Categories, products and SKUs met in imports, created on first sight (cached per import)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from siyu.commerce.tables import Category, Product, Sku
from siyu.db.base import table_of


class Catalog:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.categories: dict[str, int] = {}
        self.products: dict[str, int] = {}
        self.skus: dict[str, int] = {}

    def ensure_categories(self, names: Iterable[str]) -> None:
        self._ensure(Category, "name", self.categories, {name: {} for name in names})

    def ensure_products(self, products: dict[str, dict[str, Any]]) -> None:
        """products: code → {"title", "category_id"}."""
        self._ensure(Product, "code", self.products, products)

    def ensure_skus(self, skus: dict[str, dict[str, Any]]) -> None:
        """skus: code → {"product_id", "properties", "list_price_fen"}."""
        self._ensure(Sku, "code", self.skus, skus)

    def _ensure(
        self, model: Any, key: str, cache: dict[str, int], wanted: dict[str, dict[str, Any]]
    ) -> None:
        missing = [name for name in wanted if name not in cache]
        if not missing:
            return
        table = table_of(model)  # Core, not the ORM: its bulk RETURNING is row by row
        column = table.c[key]
        for name, row_id in self.session.execute(
            select(column, table.c.id).where(column.in_(missing))
        ):
            cache[name] = row_id
        new = [{key: name, **wanted[name]} for name in missing if name not in cache]
        if new:  # RETURNING the key column maps ids back: no row order needed
            created = self.session.execute(insert(table).returning(column, table.c.id), new)
            cache.update((name, row_id) for name, row_id in created)
