"""Categories, products and SKUs met in imports, created on first sight (cached per import)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from siyu.commerce.tables import Category, Product, Sku


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
        column = getattr(model, key)
        for name, row_id in self.session.execute(
            select(column, model.id).where(column.in_(missing))
        ):
            cache[name] = row_id
        new = [{key: name, **wanted[name]} for name in missing if name not in cache]
        if new:
            created = self.session.execute(
                insert(model).returning(column, model.id, sort_by_parameter_order=True), new
            )
            cache.update(created.all())
