"""The bundled sample marketplace replayed by ``listing-monitor demo``.

A deterministic day of listing and order events from 40 sample sellers plus the
four contract examples (seller ``S-42``). Most sellers are honest and sit in the
places a careless monitor would flag: authorised brand stores, 30-50% sales,
used and refurbished goods, unbranded products, ordinary shops in the Putian
and Guangzhou hot spots, prices in USD and EUR. Eight are counterfeiters in the
shapes described in ``DOMAIN.md``: replica sneakers from Putian, "mirror
quality" luxury bags, fake Samsung/SanDisk/Kingston memory with no telltale
words, and brand-new shops with hundreds of units of a brand they are not
authorised for. Linked shops share phone, device, payout or return-address
hashes, so the sample also contains seller rings.

Reference prices and currency rates come from the bundled ``rules.toml``, so
honest prices stay honest under the shipped rules. :func:`labels` gives the
ground truth for every seller in the sample.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Final, Literal, TypeAlias

from stream.rules import load_rules

SampleEvent: TypeAlias = tuple[str, dict[str, object]]
"""One sample event: the logical stream (``"listings"`` or ``"orders"``) and its JSON object."""

_EXAMPLES_DIR: Final = Path(__file__).resolve().parents[2] / "schemas" / "examples"
_EXAMPLE_FILES: Final = (
    ("listings", "listing_created.json"),
    ("orders", "order_placed.json"),
    ("orders", "order_refunded.json"),
    ("listings", "listing_removed.json"),
)
_EXAMPLE_SELLER: Final = "S-42"

_DEFAULT_START: Final = datetime(2026, 11, 20, tzinfo=UTC)
_SPAN: Final = timedelta(hours=24)
_LISTING_SPAN: Final = timedelta(hours=20)
_CST: Final = timezone(timedelta(hours=8))
_BUYERS: Final = 240

_Loc: TypeAlias = tuple[str, str, str]
"""Country (ISO 3166-1 alpha-2), province, city; empty strings are left out."""

_Kind: TypeAlias = Literal[
    "brand_store",
    "sale",
    "used",
    "generic",
    "replica_sneakers",
    "replica_bags",
    "fake_memory",
    "young_bulk",
]
_FRAUD_KINDS: Final = frozenset({"replica_sneakers", "replica_bags", "fake_memory", "young_bulk"})

# Locations.
_PUTIAN: Final = ("CN", "Fujian", "Putian")
_XIAMEN: Final = ("CN", "Fujian", "Xiamen")
_QUANZHOU: Final = ("CN", "Fujian", "Quanzhou")
_GUANGZHOU: Final = ("CN", "Guangdong", "Guangzhou")
_SHENZHEN: Final = ("CN", "Guangdong", "Shenzhen")
_SHANTOU: Final = ("CN", "Guangdong", "Shantou")
_SHANGHAI: Final = ("CN", "Shanghai", "Shanghai")
_BEIJING: Final = ("CN", "Beijing", "Beijing")
_HANGZHOU: Final = ("CN", "Zhejiang", "Hangzhou")
_YIWU: Final = ("CN", "Zhejiang", "Yiwu")
_NINGBO: Final = ("CN", "Zhejiang", "Ningbo")
_NANJING: Final = ("CN", "Jiangsu", "Nanjing")
_SUZHOU: Final = ("CN", "Jiangsu", "Suzhou")
_NANTONG: Final = ("CN", "Jiangsu", "Nantong")
_QINGDAO: Final = ("CN", "Shandong", "Qingdao")
_HONG_KONG: Final = ("HK", "", "Hong Kong")
_MILAN: Final = ("IT", "", "Milan")
_BERLIN: Final = ("DE", "", "Berlin")
_SAN_JOSE: Final = ("US", "CA", "San Jose")

_SHIP_TO: Final[tuple[_Loc, ...]] = (
    _SHANGHAI,
    _BEIJING,
    ("CN", "Sichuan", "Chengdu"),
    ("CN", "Hubei", "Wuhan"),
    ("CN", "Shaanxi", "Xi'an"),
    ("CN", "Chongqing", "Chongqing"),
    ("CN", "Tianjin", "Tianjin"),
    ("CN", "Hunan", "Changsha"),
    ("CN", "Liaoning", "Shenyang"),
    ("CN", "Yunnan", "Kunming"),
    _SHENZHEN,
    _HANGZHOU,
    _NANJING,
)

# Models of branded products, by (brand, category) of the reference catalog.
_MODELS: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    ("Nike", "shoes/sneakers"): ("Nike Air Zoom Pegasus 41", "Nike Air Max 90", "Nike Dunk Low"),
    ("Nike", "apparel/sportswear"): ("Nike Dri-FIT running tee", "Nike Club fleece hoodie"),
    ("Air Jordan", "shoes/sneakers"): ("Air Jordan 1 Retro High OG", "Air Jordan 4 Retro"),
    ("Adidas", "shoes/sneakers"): ("Adidas Samba OG", "Adidas Ultraboost 5", "Adidas Gazelle"),
    ("Adidas", "apparel/sportswear"): ("Adidas Tiro 24 training pants", "Adidas Essentials hoodie"),
    ("New Balance", "shoes/sneakers"): ("New Balance 574", "New Balance 990v6", "New Balance 530"),
    ("Puma", "shoes/sneakers"): ("Puma Suede Classic", "Puma Palermo", "Puma Speedcat OG"),
    ("Apple", "electronics/phones"): ("Apple iPhone 16 128GB", "Apple iPhone 16 Pro 256GB"),
    ("Apple", "electronics/audio"): ("Apple AirPods Pro 2", "Apple AirPods 4"),
    ("Apple", "electronics/laptops"): ("Apple MacBook Air 13 M3", "Apple MacBook Pro 14 M4"),
    ("Samsung", "electronics/phones"): ("Samsung Galaxy S25 256GB", "Samsung Galaxy Z Flip6"),
    ("Samsung", "electronics/memory"): (
        "Samsung PRO Plus 512GB microSDXC card",
        "Samsung 64GB DDR5 RDIMM server memory",
    ),
    ("Samsung", "electronics/storage"): (
        "Samsung PM1733 15.36TB enterprise NVMe SSD",
        "Samsung 990 PRO 8TB NVMe SSD",
    ),
    ("Sony", "electronics/audio"): ("Sony WH-1000XM5 headphones", "Sony WF-1000XM5 earbuds"),
    ("SanDisk", "electronics/memory"): (
        "SanDisk Extreme 1TB microSDXC card",
        "SanDisk Extreme PRO 512GB SD card",
    ),
    ("SanDisk", "electronics/storage"): ("SanDisk Extreme portable SSD 2TB",),
    ("Kingston", "electronics/memory"): (
        "Kingston FURY Beast 32GB DDR5 kit",
        "Kingston FURY Renegade 48GB DDR5 kit",
    ),
    ("Louis Vuitton", "bags/handbags"): (
        "Louis Vuitton Neverfull MM",
        "Louis Vuitton Speedy Bandouliere 25",
        "Louis Vuitton OnTheGo MM",
    ),
    ("Louis Vuitton", "accessories/wallets"): ("Louis Vuitton Zippy wallet",),
    ("Gucci", "bags/handbags"): ("Gucci GG Marmont shoulder bag", "Gucci Jackie 1961 small bag"),
    ("Gucci", "accessories/belts"): ("Gucci GG Marmont leather belt",),
    ("Chanel", "bags/handbags"): ("Chanel Classic Flap bag medium", "Chanel 22 handbag"),
    ("Rolex", "watches/luxury"): ("Rolex Submariner Date 41", "Rolex Datejust 36"),
    ("Dyson", "home/appliances"): (
        "Dyson V15 Detect cordless vacuum",
        "Dyson Supersonic hair dryer",
        "Dyson Airwrap multi-styler",
    ),
    ("Lancome", "beauty/skincare"): ("Lancome Advanced Genifique serum 100ml",),
    ("Estee Lauder", "beauty/skincare"): ("Estee Lauder Advanced Night Repair serum 50ml",),
    ("The North Face", "apparel/outerwear"): (
        "The North Face 1996 Retro Nuptse jacket",
        "The North Face Himalayan down parka",
    ),
    ("Canada Goose", "apparel/outerwear"): ("Canada Goose Expedition parka",),
    ("Moncler", "apparel/outerwear"): ("Moncler Maya down jacket",),
    ("Ray-Ban", "accessories/sunglasses"): ("Ray-Ban Wayfarer RB2140", "Ray-Ban Aviator RB3025"),
    ("Lego", "toys/building"): ("Lego Technic Porsche 911 GT3 RS", "Lego Star Wars Falcon 75257"),
}

# Chinese titles the Putian replica shops use (the brand only as its Chinese alias).
_MODELS_ZH: Final[dict[str, tuple[str, ...]]] = {
    "Nike": ("耐克 空军一号 低帮板鞋", "耐克 Dunk 低帮"),
    "Air Jordan": ("乔丹 AJ1 芝加哥 高帮", "乔丹 AJ4 复古篮球鞋"),
    "Adidas": ("阿迪达斯 三叶草 板鞋",),
    "New Balance": ("新百伦 NB990 复古跑鞋",),
}
_MISSPELLED: Final = {
    "Nike": "Nlke",
    "Air Jordan": "Air Jordon",
    "Adidas": "Adidos",
    "New Balance": "New Balanse",
}

# Unbranded products: title, category, usual price range in CNY.
_GENERIC: Final[dict[str, tuple[tuple[str, str, int, int], ...]]] = {
    "kitchen": (
        ("Stainless steel frying pan 28cm, induction ready", "home/kitchen", 89, 159),
        ("Non-stick ceramic saucepan with glass lid", "home/kitchen", 69, 129),
        ("Bamboo cutting board, set of 3", "home/kitchen", 39, 79),
        ("家用不锈钢炒锅 32cm 燃气电磁炉通用", "home/kitchen", 99, 189),
    ),
    "textiles": (
        ("加厚珊瑚绒毛毯 冬季保暖", "home/textiles", 79, 159),
        ("全棉四件套 1.8米床", "home/textiles", 199, 399),
        ("Microfibre bath towel set, 4 pieces", "home/textiles", 49, 99),
        ("Quilted mattress protector, queen size", "home/textiles", 89, 179),
    ),
    "tshirts": (
        ("Cotton crew-neck t-shirt, unisex, 6 colours", "apparel/tshirts", 39, 69),
        ("Oversized heavyweight cotton tee", "apparel/tshirts", 59, 99),
        ("纯棉短袖T恤 男女同款 多色可选", "apparel/tshirts", 29, 59),
    ),
    "cables": (
        ("USB-C to USB-C braided charging cable, 2 m", "electronics/accessories", 19, 39),
        ("65W GaN USB-C wall charger, 3 ports", "electronics/accessories", 89, 149),
        ("Magnetic phone mount for car dashboard", "electronics/accessories", 29, 69),
    ),
    "toys": (
        ("Plush teddy bear, 40 cm", "toys/plush", 49, 99),
        ("Wooden stacking blocks, 100 pieces", "toys/building", 59, 119),
        ("毛绒兔子公仔 30cm", "toys/plush", 39, 79),
    ),
    "stationery": (
        ("A5 dotted notebook, 160 pages", "stationery/notebooks", 19, 39),
        ("LED desk lamp with dimmer and USB port", "home/lighting", 79, 159),
        ("Gel ink pens, pack of 12", "stationery/pens", 15, 29),
    ),
    "fitness": (
        ("Non-slip yoga mat, 6 mm", "sports/fitness", 59, 129),
        ("Adjustable dumbbell set, 20 kg", "sports/fitness", 199, 399),
        ("Resistance bands, set of 5", "sports/fitness", 29, 59),
    ),
    "shoes_en": (
        ("Breathable mesh running shoes, unbranded", "shoes/sneakers", 99, 199),
        ("Lightweight canvas trainers for men", "shoes/sneakers", 79, 149),
        ("Kids' hook-and-loop sports shoes", "shoes/kids", 69, 129),
    ),
    "shoes_zh": (
        ("透气网面跑步鞋 男款 轻便减震", "shoes/sneakers", 89, 179),
        ("运动棉袜 5双装", "apparel/socks", 19, 39),
        ("居家防滑拖鞋 男女款", "shoes/slippers", 19, 49),
        ("儿童运动鞋 魔术贴 春秋款", "shoes/kids", 69, 139),
    ),
    "leather": (
        ("Genuine leather bifold wallet, handmade", "accessories/wallets", 89, 199),
        ("Full-grain leather belt, 35 mm", "accessories/belts", 79, 169),
        ("真皮短款钱包 男士", "accessories/wallets", 99, 199),
    ),
    "womens": (
        ("女士雪纺衬衫 夏季新款", "apparel/womens", 69, 139),
        ("高腰阔腿裤 女", "apparel/womens", 79, 159),
        ("针织开衫 女 秋冬", "apparel/womens", 99, 199),
    ),
    "totes": (
        ("Plain canvas tote bag, 40 x 35 cm", "bags/totes", 19, 49),
        ("Women's canvas shoulder bag", "bags/totes", 49, 99),
        ("女士帆布托特包 大容量", "bags/totes", 39, 79),
    ),
    "beauty_tools": (
        ("Makeup brush set, 12 pieces", "beauty/tools", 39, 89),
        ("Travel cosmetic bag, waterproof", "beauty/tools", 29, 59),
        ("化妆刷套装 12支 软毛", "beauty/tools", 39, 79),
    ),
}

_STORE_SUFFIXES: Final = (
    "official store",
    "authorised retailer",
    "官方旗舰店 正品",
    "with invoice",
)
_SALE_SUFFIXES: Final = ("clearance", "end-of-season sale", "outlet price", "季末清仓", "限时折扣")
_USED_SUFFIXES: Final = ("pre-owned, good condition", "used, with box", "二手 九成新")
_REFURB_SUFFIXES: Final = ("certified refurbished, 1 year warranty", "官方翻新 保修一年")
_SNEAKER_TERMS: Final = ("1:1", "AAA", "高仿", "原单")
_BAG_TERMS: Final = ("mirror quality", "mirror copy", "复刻", "顶级复刻")
_PLAIN_SUFFIXES: Final = ("genuine, fast shipping", "full capacity, tested", "bulk pack", "")
_SEALED_SUFFIXES: Final = ("brand new, sealed", "全新未拆封", "in stock, ships today")


@dataclass(frozen=True)
class _Seller:
    """One sample seller: who it is, what it sells, and how it hides (if it does)."""

    number: int
    kind: _Kind
    region: _Loc
    branded: tuple[tuple[str, str], ...] = ()
    generic: tuple[str, ...] = ()
    authorized: tuple[str, ...] = ()
    currency: str = "CNY"
    condition: str = "new"
    utc8: bool = False
    declared_from: _Loc | None = None
    carrier_from: _Loc | None = None
    age_days: tuple[int, int] = (300, 3000)
    phone_group: str | None = None
    device_group: str | None = None
    payout_group: str | None = None
    return_group: str | None = None
    popular: bool = False
    reseller: int | None = None
    foreign_share: float = 0.0

    @property
    def seller_id(self) -> str:
        """The seller's id, ``S-sample-NN``."""
        return f"S-sample-{self.number:02d}"

    @property
    def fraud(self) -> bool:
        """Whether this seller sells counterfeits."""
        return self.kind in _FRAUD_KINDS

    @property
    def ship_from(self) -> _Loc:
        """The declared dispatch location of its listings."""
        return self.declared_from or self.region

    @property
    def scanned_from(self) -> _Loc:
        """Where the carrier actually picks its parcels up."""
        return self.carrier_from or self.ship_from


_SNEAKERS: Final = (
    ("Nike", "shoes/sneakers"),
    ("Air Jordan", "shoes/sneakers"),
    ("Adidas", "shoes/sneakers"),
    ("New Balance", "shoes/sneakers"),
)
_LUXURY_BAGS: Final = (
    ("Louis Vuitton", "bags/handbags"),
    ("Gucci", "bags/handbags"),
    ("Chanel", "bags/handbags"),
    ("Louis Vuitton", "accessories/wallets"),
    ("Gucci", "accessories/belts"),
)
_MEMORY: Final = (
    ("Samsung", "electronics/memory"),
    ("Samsung", "electronics/storage"),
    ("SanDisk", "electronics/memory"),
    ("SanDisk", "electronics/storage"),
    ("Kingston", "electronics/memory"),
)

_SELLERS: Final[tuple[_Seller, ...]] = (
    # Authorised brand stores: 90-100% of the reference.
    _Seller(
        1,
        "brand_store",
        _XIAMEN,
        branded=(
            ("Nike", "shoes/sneakers"),
            ("Nike", "apparel/sportswear"),
            ("Air Jordan", "shoes/sneakers"),
        ),
        authorized=("Nike", "Air Jordan"),
        utc8=True,
        popular=True,
    ),
    _Seller(
        2,
        "brand_store",
        _SHANGHAI,
        branded=(("Adidas", "shoes/sneakers"), ("Adidas", "apparel/sportswear")),
        authorized=("Adidas",),
    ),
    _Seller(
        3,
        "brand_store",
        _HONG_KONG,
        branded=(
            ("Apple", "electronics/phones"),
            ("Apple", "electronics/audio"),
            ("Apple", "electronics/laptops"),
        ),
        authorized=("Apple",),
        currency="USD",
        foreign_share=1.0,
    ),
    _Seller(
        4,
        "brand_store",
        _SHENZHEN,
        branded=(
            ("Samsung", "electronics/phones"),
            ("Samsung", "electronics/memory"),
            ("Samsung", "electronics/storage"),
        ),
        authorized=("Samsung",),
        utc8=True,
    ),
    _Seller(
        5,
        "brand_store",
        _SHANGHAI,
        branded=(("Louis Vuitton", "bags/handbags"), ("Louis Vuitton", "accessories/wallets")),
        authorized=("Louis Vuitton",),
    ),
    _Seller(
        6, "brand_store", _SUZHOU, branded=(("Dyson", "home/appliances"),), authorized=("Dyson",)
    ),
    _Seller(
        7,
        "brand_store",
        _HANGZHOU,
        branded=(("Lancome", "beauty/skincare"), ("Estee Lauder", "beauty/skincare")),
        authorized=("Lancome", "Estee Lauder"),
        utc8=True,
    ),
    _Seller(
        8, "brand_store", _BEIJING, branded=(("Sony", "electronics/audio"),), authorized=("Sony",)
    ),
    # Honest sales and clearance: 30-48% off.
    _Seller(
        9,
        "sale",
        _NANJING,
        branded=(("New Balance", "shoes/sneakers"),),
        authorized=("New Balance",),
    ),
    _Seller(
        10,
        "sale",
        _QUANZHOU,
        branded=(("Puma", "shoes/sneakers"),),
        authorized=("Puma",),
        utc8=True,
    ),
    _Seller(
        11,
        "sale",
        _BEIJING,
        branded=(("The North Face", "apparel/outerwear"),),
        authorized=("The North Face",),
    ),
    _Seller(
        12,
        "sale",
        _MILAN,
        branded=(("Ray-Ban", "accessories/sunglasses"),),
        authorized=("Ray-Ban",),
        currency="EUR",
        foreign_share=1.0,
    ),
    _Seller(
        13,
        "sale",
        _SHENZHEN,
        branded=(("SanDisk", "electronics/memory"), ("Kingston", "electronics/memory")),
        authorized=("SanDisk", "Kingston"),
        utc8=True,
    ),
    # Used and refurbished goods: 25-60% of the reference, one unit at a time.
    _Seller(
        14,
        "used",
        _SHENZHEN,
        branded=(("Apple", "electronics/phones"), ("Apple", "electronics/laptops")),
        condition="refurbished",
    ),
    _Seller(15, "used", _SHANGHAI, branded=(("Rolex", "watches/luxury"),), condition="used"),
    _Seller(
        16,
        "used",
        _BERLIN,
        branded=(
            ("Gucci", "bags/handbags"),
            ("Louis Vuitton", "bags/handbags"),
            ("Chanel", "bags/handbags"),
        ),
        condition="used",
        currency="EUR",
        foreign_share=1.0,
    ),
    _Seller(
        17,
        "used",
        _BEIJING,
        branded=(
            ("Canada Goose", "apparel/outerwear"),
            ("The North Face", "apparel/outerwear"),
            ("Moncler", "apparel/outerwear"),
        ),
        condition="used",
        utc8=True,
    ),
    _Seller(
        18,
        "used",
        _SAN_JOSE,
        branded=(("Sony", "electronics/audio"), ("Lego", "toys/building")),
        condition="used",
        currency="USD",
        foreign_share=1.0,
    ),
    # Unbranded generic goods, some from regions that are hot spots for fakes.
    _Seller(19, "generic", _YIWU, generic=("kitchen",), utc8=True),
    _Seller(20, "generic", _NANTONG, generic=("textiles",), utc8=True),
    _Seller(21, "generic", _SHANGHAI, generic=("tshirts",)),
    _Seller(22, "generic", _HANGZHOU, generic=("cables",)),
    _Seller(23, "generic", _SHANTOU, generic=("toys",), utc8=True),
    _Seller(24, "generic", _NINGBO, generic=("stationery",)),
    _Seller(25, "generic", _QINGDAO, generic=("fitness",)),
    # Ordinary shops in Putian and Guangzhou.
    _Seller(26, "generic", _PUTIAN, generic=("shoes_en",)),
    _Seller(27, "generic", _PUTIAN, generic=("shoes_zh",), utc8=True),
    _Seller(28, "generic", _PUTIAN, generic=("shoes_zh", "shoes_en"), utc8=True),
    _Seller(29, "generic", _GUANGZHOU, generic=("leather",)),
    _Seller(30, "generic", _GUANGZHOU, generic=("womens",), utc8=True),
    _Seller(31, "generic", _GUANGZHOU, generic=("totes",)),
    _Seller(32, "generic", _GUANGZHOU, generic=("beauty_tools",), utc8=True),
    # Counterfeiters. Replica sneakers from Putian, two linked shops; 34 resells 33's stock
    # and declares Hangzhou but its parcels are scanned in Putian.
    _Seller(
        33,
        "replica_sneakers",
        _PUTIAN,
        branded=_SNEAKERS,
        age_days=(60, 400),
        phone_group="putian",
        device_group="putian",
        reseller=34,
        utc8=True,
    ),
    _Seller(
        34,
        "replica_sneakers",
        _HANGZHOU,
        branded=_SNEAKERS,
        carrier_from=_PUTIAN,
        age_days=(20, 90),
        phone_group="putian",
        device_group="putian",
    ),
    # "Mirror quality" luxury bags from Guangzhou, sharing a return address.
    _Seller(
        35,
        "replica_bags",
        _GUANGZHOU,
        branded=_LUXURY_BAGS,
        age_days=(90, 700),
        return_group="baiyun",
    ),
    _Seller(
        36,
        "replica_bags",
        _GUANGZHOU,
        branded=_LUXURY_BAGS,
        age_days=(30, 200),
        return_group="baiyun",
        currency="USD",
        foreign_share=0.3,
        utc8=True,
    ),
    # Fake memory with plain titles; one payout account (the one S-42 uses too).
    _Seller(
        37,
        "fake_memory",
        _SHANGHAI,
        branded=_MEMORY,
        carrier_from=_SHENZHEN,
        age_days=(40, 300),
        payout_group="memory",
    ),
    _Seller(
        38,
        "fake_memory",
        _SHENZHEN,
        branded=_MEMORY,
        age_days=(40, 300),
        payout_group="memory",
        utc8=True,
    ),
    # Shops a few days old with hundreds of units of a brand they are not authorised for.
    _Seller(
        39,
        "young_bulk",
        _HANGZHOU,
        branded=(("Dyson", "home/appliances"),),
        carrier_from=_SHENZHEN,
        age_days=(2, 5),
        device_group="young",
    ),
    _Seller(
        40,
        "young_bulk",
        _SUZHOU,
        branded=(("Apple", "electronics/audio"), ("Lancome", "beauty/skincare")),
        age_days=(2, 5),
        device_group="young",
        utc8=True,
    ),
)

# Price as a share of the reference, per kind of seller.
_RATIO: Final[dict[_Kind, tuple[float, float]]] = {
    "brand_store": (0.90, 1.00),
    "sale": (0.52, 0.70),
    "used": (0.25, 0.60),
    "generic": (1.0, 1.0),
    "replica_sneakers": (0.10, 0.25),
    "replica_bags": (0.02, 0.08),
    "fake_memory": (0.01, 0.08),
    "young_bulk": (0.15, 0.25),
}
_QUANTITY: Final[dict[_Kind, tuple[int, int]]] = {
    "brand_store": (5, 60),
    "sale": (3, 40),
    "used": (1, 1),
    "generic": (20, 500),
    "replica_sneakers": (50, 300),
    "replica_bags": (5, 30),
    "fake_memory": (100, 1000),
    "young_bulk": (200, 900),
}
_SALE_FLOOR: Final = 0.52
_PAYOUT_OF_S42: Final = "pa-11ab"


@lru_cache(maxsize=1)
def _rules() -> tuple[dict[tuple[str, str], float], dict[str, float]]:
    """Reference prices and currency rates of the bundled rules file.

    Returns:
        The catalog as ``{(brand, category): reference_price}`` and the rates as
        ``{currency: CNY per unit}``.
    """
    rules = load_rules()
    catalog = {(e.brand, e.category): e.reference_price for e in rules.catalog}
    return catalog, dict(rules.currency_rates)


def _digest(*parts: str) -> str:
    """A short stable hex digest of ``parts`` (stands in for the salted hashes)."""
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:10]


def _location(loc: _Loc) -> dict[str, object]:
    """A contract Location object of ``loc``."""
    country, province, city = loc
    out: dict[str, object] = {"country": country}
    if province:
        out["province"] = province
    if city:
        out["city"] = city
    return out


def _timestamp(moment: datetime, utc8: bool) -> str:
    """RFC 3339 text of ``moment``, as ``...Z`` or in China Standard Time (``+08:00``)."""
    if utc8:
        return moment.astimezone(_CST).isoformat(timespec="seconds")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _to_currency(cny: float, currency: str) -> float:
    """Convert a CNY amount into ``currency`` with the rules' rates, as a shop would price it."""
    value = cny / _rules()[1][currency]
    if value >= 100:
        cents = 0.1 if currency == "CNY" else 0.01
        return round(round(value) - cents, 2)
    return max(round(value, 2), 0.01)


@dataclass
class _Listing:
    """A listing being generated: its fields and its price over time."""

    listing_id: str
    seller: _Seller
    created: datetime
    fields: dict[str, object]
    ratio: float
    reference: float | None
    prices: list[tuple[datetime, float]] = field(default_factory=list)

    def price_at(self, moment: datetime) -> float:
        """The listing's price at ``moment``."""
        current = self.prices[0][1]
        for since, price in self.prices:
            if since <= moment:
                current = price
        return current


@dataclass
class _Draft:
    """A generated event before ids are assigned and seller profiles attached."""

    moment: datetime
    stream: str
    payload: dict[str, object]


class _Generator:
    """Builds the sample day from one ``random.Random``."""

    def __init__(self, seed: int, start: datetime) -> None:
        self.seed = seed
        self.start = start
        self.end = start + _SPAN
        self.rng = random.Random(seed)
        self.drafts: list[_Draft] = []
        self.listing_count = 0
        self.order_count = 0

    # Helpers -----------------------------------------------------------------

    def _after(self, moment: datetime, low: timedelta, high: timedelta) -> datetime | None:
        """A random moment in ``[moment + low, moment + high]`` that is still in the day."""
        latest = min(moment + high, self.end - timedelta(seconds=1))
        earliest = moment + low
        if latest <= earliest:
            return None
        span = int((latest - earliest).total_seconds())
        return earliest + timedelta(seconds=self.rng.randint(0, span))

    def _emit(self, moment: datetime, stream: str, payload: dict[str, object]) -> None:
        self.drafts.append(_Draft(moment, stream, payload))

    def _buyer(self) -> str:
        return f"B-sample-{self.rng.randint(1, _BUYERS):04d}"

    # Listings ----------------------------------------------------------------

    def _product(self, seller: _Seller) -> tuple[dict[str, object], float, float, float | None]:
        """Text fields of a new listing, its CNY price, price ratio and CNY reference."""
        rng = self.rng
        catalog = _rules()[0]
        out: dict[str, object] = {}
        if seller.kind == "generic":
            title, category, low, high = rng.choice(_GENERIC[rng.choice(seller.generic)])
            city = seller.region[2]
            out["title"] = title
            out["description"] = rng.choice(
                (
                    f"Factory direct from {city}. Ships within 48 hours.",
                    "Good quality, fast dispatch, 7-day returns.",
                    "产地直发，支持七天无理由退换。",
                )
            )
            out["category"] = category
            return out, float(rng.randint(low, high)) - 0.1, 1.0, None

        brand, category = rng.choice(seller.branded)
        reference = catalog[(brand, category)]
        low_ratio, high_ratio = _RATIO[seller.kind]
        ratio = rng.uniform(low_ratio, high_ratio)
        model = rng.choice(_MODELS[(brand, category)])
        declared: str | None = brand
        image_text: str | None = None
        description: str | None = None
        if seller.kind == "brand_store":
            title = f"{model} {rng.choice(_STORE_SUFFIXES)}"
            description = f"Authorised {brand} retailer. Invoice and official warranty included."
        elif seller.kind == "sale":
            title = f"{model} {rng.choice(_SALE_SUFFIXES)} {round((1 - ratio) * 100)}% off"
            description = "Last season's stock from an authorised retailer, genuine with invoice."
        elif seller.kind == "used":
            suffixes = _REFURB_SUFFIXES if seller.condition == "refurbished" else _USED_SUFFIXES
            title = f"{model} {rng.choice(suffixes)}"
            description = "One item only, photos of the actual item, proof of purchase available."
        elif seller.kind == "replica_sneakers":
            terms = rng.sample(_SNEAKER_TERMS, rng.randint(1, 2))
            if rng.random() < 0.5:
                title = f"{rng.choice(_MODELS_ZH[brand])} {' '.join(terms)} 莆田直发"
            else:
                title = f"{model} {' '.join(terms)} top batch"
            if seller.number == 34:
                declared = rng.choice((brand, None, _MISSPELLED[brand]))
        elif seller.kind == "replica_bags":
            term = rng.choice(_BAG_TERMS)
            title = f"{model} {term}"
            image_text = f"{rng.choice(_BAG_TERMS)} | WeChat lux{rng.randint(100, 999)}"
        elif seller.kind == "fake_memory":
            title = f"{model} {rng.choice(_PLAIN_SUFFIXES)}".strip()
        else:  # young_bulk
            title = f"{model} {rng.choice(_SEALED_SUFFIXES)}"
        out["title"] = title
        if description is not None:
            out["description"] = description
        if declared is not None:
            out["brand"] = declared
        out["category"] = category
        if image_text is not None:
            out["image_text"] = image_text
        return out, reference * ratio, ratio, reference

    def _listing_payload(
        self, listing: _Listing, event_type: str, moment: datetime, quantity: int
    ) -> dict[str, object]:
        seller = listing.seller
        payload: dict[str, object] = {
            "schema_version": 1,
            "event_id": "",
            "event_type": event_type,
            "event_time": _timestamp(moment, seller.utc8),
            "listing_id": listing.listing_id,
            "seller_id": seller.seller_id,
        }
        fields = listing.fields
        payload["title"] = fields["title"]
        for key in ("description", "brand"):
            if key in fields:
                payload[key] = fields[key]
        payload["category"] = fields["category"]
        payload["price"] = listing.price_at(moment)
        payload["currency"] = fields["currency"]
        payload["quantity"] = quantity
        payload["condition"] = seller.condition
        payload["ship_from"] = _location(seller.ship_from)
        if "image_text" in fields:
            payload["image_text"] = fields["image_text"]
        return payload

    def _new_listing(self, seller: _Seller, earliest: timedelta, latest: timedelta) -> _Listing:
        rng = self.rng
        self.listing_count += 1
        listing_id = f"L-s{self.seed}-{self.listing_count:04d}"
        offset = rng.randint(int(earliest.total_seconds()), int(latest.total_seconds()))
        created = self.start + timedelta(seconds=offset)
        fields, cny, ratio, reference = self._product(seller)
        currency = seller.currency if rng.random() < seller.foreign_share else "CNY"
        fields["currency"] = currency
        listing = _Listing(listing_id, seller, created, fields, ratio, reference)
        listing.prices.append((created, _to_currency(cny, currency)))
        low, high = _QUANTITY[seller.kind]
        quantity = rng.randint(low, high)
        self._emit(
            created,
            "listings",
            self._listing_payload(listing, "listing_created", created, quantity),
        )
        self._updates(listing, quantity)
        return listing

    def _updates(self, listing: _Listing, quantity: int) -> None:
        """Price cuts during a sale and restocks of brand stores."""
        seller, rng = listing.seller, self.rng
        if seller.kind == "sale" and listing.reference is not None and rng.random() < 0.4:
            moment = self._after(listing.created, timedelta(hours=1), timedelta(hours=8))
            if moment is None:
                return
            ratio = rng.uniform(_SALE_FLOOR, listing.ratio)
            currency = str(listing.fields["currency"])
            listing.prices.append((moment, _to_currency(listing.reference * ratio, currency)))
            payload = self._listing_payload(listing, "listing_updated", moment, quantity)
            self._emit(moment, "listings", payload)
        elif seller.kind == "brand_store" and rng.random() < 0.2:
            moment = self._after(listing.created, timedelta(hours=2), timedelta(hours=12))
            if moment is None:
                return
            restocked = quantity + rng.randint(20, 100)
            payload = self._listing_payload(listing, "listing_updated", moment, restocked)
            self._emit(moment, "listings", payload)

    # Orders ------------------------------------------------------------------

    def _order(
        self, listing: _Listing, moment: datetime, buyer: str, quantity: int
    ) -> dict[str, object]:
        seller = listing.seller
        self.order_count += 1
        order_id = f"O-s{self.seed}-{self.order_count:04d}"
        payload: dict[str, object] = {
            "schema_version": 1,
            "event_id": "",
            "event_type": "order_placed",
            "event_time": _timestamp(moment, seller.utc8),
            "order_id": order_id,
            "listing_id": listing.listing_id,
            "seller_id": seller.seller_id,
            "buyer_id": buyer,
            "quantity": quantity,
            "unit_price": listing.price_at(moment),
            "currency": listing.fields["currency"],
            "ship_from": _location(seller.scanned_from),
            "ship_to": _location(self.rng.choice(_SHIP_TO)),
            "tracking_hash": f"tk-{_digest(str(self.seed), order_id)}",
        }
        self._emit(moment, "orders", payload)
        return payload

    def _refund(self, order: dict[str, object], placed: datetime, seller: _Seller) -> None:
        rng = self.rng
        if seller.fraud:
            if rng.random() >= 0.15:
                return
            reason = rng.choice(("counterfeit", "counterfeit", "counterfeit", "not_as_described"))
        else:
            if rng.random() >= 0.03:
                return
            reason = rng.choice(("damaged", "not_received", "not_as_described", "other"))
        moment = self._after(placed, timedelta(hours=1), timedelta(hours=8))
        if moment is None:
            return
        payload: dict[str, object] = {
            "schema_version": 1,
            "event_id": "",
            "event_type": "order_refunded",
            "event_time": _timestamp(moment, seller.utc8),
            "order_id": order["order_id"],
            "listing_id": order["listing_id"],
            "seller_id": seller.seller_id,
            "buyer_id": order["buyer_id"],
            "reason": reason,
        }
        self._emit(moment, "orders", payload)

    def _orders(self, listing: _Listing, burst: bool) -> None:
        """Orders for one listing, their refunds, and the removal of sold-out used items."""
        seller, rng = listing.seller, self.rng
        placed: list[datetime] = []
        if burst:
            # Sudden but genuine popularity: many distinct buyers within a few hours.
            buyers = rng.sample(range(1, _BUYERS + 1), rng.randint(20, 30))
            for number in buyers:
                moment = self._after(listing.created, timedelta(minutes=5), timedelta(hours=3))
                if moment is not None:
                    order = self._order(listing, moment, f"B-sample-{number:04d}", 1)
                    placed.append(moment)
                    self._refund(order, moment, seller)
            return
        if seller.kind == "used":
            count = rng.choices((0, 1), weights=(50, 50))[0]
        elif seller.fraud:
            count = rng.choices((0, 1, 2, 3, 4), weights=(30, 30, 20, 12, 8))[0]
        else:
            count = rng.choices((0, 1, 2, 3), weights=(55, 28, 12, 5))[0]
        for _ in range(count):
            moment = self._after(listing.created, timedelta(minutes=10), _SPAN)
            if moment is None:
                continue
            if seller.kind == "fake_memory":
                quantity = rng.randint(1, 10)
            elif seller.fraud:
                quantity = rng.randint(1, 3)
            else:
                quantity = rng.choices((1, 2), weights=(85, 15))[0]
            order = self._order(listing, moment, self._buyer(), quantity)
            placed.append(moment)
            self._refund(order, moment, seller)
        if seller.reseller is not None and rng.random() < 0.5:
            moment = self._after(listing.created, timedelta(minutes=30), timedelta(hours=6))
            if moment is not None:
                reseller = f"S-sample-{seller.reseller:02d}"
                self._order(listing, moment, reseller, rng.randint(20, 60))
        if seller.kind == "used" and placed:
            moment = self._after(max(placed), timedelta(minutes=5), timedelta(hours=2))
            if moment is not None:
                removed: dict[str, object] = {
                    "schema_version": 1,
                    "event_id": "",
                    "event_type": "listing_removed",
                    "event_time": _timestamp(moment, seller.utc8),
                    "listing_id": listing.listing_id,
                    "seller_id": seller.seller_id,
                }
                self._emit(moment, "listings", removed)

    # The day -----------------------------------------------------------------

    def run(self) -> list[_Draft]:
        """Generate every seller's listings and orders (unsorted)."""
        for seller in _SELLERS:
            count = self.rng.randint(4, 7)
            for index in range(count):
                burst = seller.popular and index == 0
                if burst:
                    listing = self._new_listing(seller, timedelta(hours=1), timedelta(hours=8))
                else:
                    listing = self._new_listing(seller, timedelta(0), _LISTING_SPAN)
                self._orders(listing, burst)
        return self.drafts

    def profile(self, seller: _Seller) -> dict[str, object]:
        """The SellerProfile sent with the seller's first listing."""
        seed = str(self.seed)
        days = self.rng.randint(*seller.age_days)
        registered = self.start - timedelta(days=days, seconds=self.rng.randint(0, 86_399))

        def hashed(prefix: str, kind: str, group: str | None) -> str:
            return f"{prefix}-{_digest(seed, kind, group or seller.seller_id)}"

        payout = (
            _PAYOUT_OF_S42
            if seller.payout_group == "memory"
            else hashed("pa", "payout", seller.payout_group)
        )
        return {
            "registered_at": _timestamp(registered, seller.utc8),
            "registered_region": _location(seller.region),
            "authorized_brands": list(seller.authorized),
            "phone_hash": hashed("ph", "phone", seller.phone_group),
            "payout_account_hash": payout,
            "device_hash": hashed("dv", "device", seller.device_group),
            "return_address_hash": hashed("ra", "return", seller.return_group),
        }


def _load_examples() -> list[SampleEvent]:
    """The contract's example events, verbatim."""
    events: list[SampleEvent] = []
    for stream, name in _EXAMPLE_FILES:
        payload = json.loads((_EXAMPLES_DIR / name).read_text(encoding="utf-8"))
        if not isinstance(payload, dict):
            raise ValueError(f"{name}: expected a JSON object")
        events.append((stream, payload))
    return events


def _parse_time(payload: dict[str, object]) -> datetime:
    """The ``event_time`` of ``payload`` as an aware datetime."""
    return datetime.fromisoformat(str(payload["event_time"]))


def sample_marketplace(seed: int = 7, start: datetime | None = None) -> list[SampleEvent]:
    """A day of sample marketplace events, sorted by event time.

    The same ``seed`` always yields the same events (ids, times, prices, texts);
    nothing depends on the clock or the global random generator. Generated
    events have ids ``smp-<seed>-<n>`` in stream order, listings ``L-s<seed>-<n>``
    and orders ``O-s<seed>-<n>``; each seller's first listing carries its
    ``seller`` profile. The four contract examples (seller ``S-42``) are included
    verbatim at their own event times.

    Args:
        seed: Seed of the ``random.Random`` that drives every choice.
        start: Beginning of the sampled day (timezone-aware). Defaults to
            2026-11-20T00:00:00Z.

    Returns:
        ``(stream, event)`` pairs, ``stream`` being ``"listings"`` or ``"orders"``.

    Raises:
        ValueError: If ``start`` is a naive datetime.
    """
    if start is None:
        start = _DEFAULT_START
    elif start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be a timezone-aware datetime")
    generator = _Generator(seed, start)
    drafts = generator.run()
    drafts.extend(
        _Draft(_parse_time(payload), stream, payload) for stream, payload in _load_examples()
    )
    drafts.sort(key=lambda draft: draft.moment)  # stable: ties keep generation order

    sellers = {seller.seller_id: seller for seller in _SELLERS}
    profiled: set[str] = set()
    events: list[SampleEvent] = []
    number = 0
    for draft in drafts:
        payload = draft.payload
        if payload.get("event_id") == "":
            number += 1
            payload["event_id"] = f"smp-{seed}-{number:04d}"
            seller_id = str(payload["seller_id"])
            if payload["event_type"] == "listing_created" and seller_id not in profiled:
                profiled.add(seller_id)
                payload["seller"] = generator.profile(sellers[seller_id])
        events.append((draft.stream, payload))
    return events


def labels() -> dict[str, str]:
    """Ground truth for the sample's sellers.

    Returns:
        ``{seller_id: "fraud" | "legit"}`` for every seller in
        :func:`sample_marketplace`, including ``S-42`` of the contract examples.
    """
    truth = {seller.seller_id: "fraud" if seller.fraud else "legit" for seller in _SELLERS}
    truth[_EXAMPLE_SELLER] = "fraud"
    return truth
