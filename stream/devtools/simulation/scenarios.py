"""Seller scenarios of the marketplace simulator, and the engine that plays them.

Every seller follows one scenario. A scenario is a small class that decides who
the seller is (:meth:`Scenario.shop`: region, dispatch points, account age,
authorised brands, rates of listing and ordering), what it lists
(:meth:`Scenario.product`: title, brand, category, price against the catalog)
and how its buyers complain (:meth:`Scenario.complaint`). :func:`play_seller`
turns one seller into its listing and order events over the simulated period.

Fraud scenarios follow the patterns of ``DOMAIN.md``: a Putian sneaker ring with
replica wording, luxury bags with obfuscated wording, memory and storage with
no telltale words, a brand-new shop with hundreds of units of a brand it is not
authorised for, a seller whose only tell is a growing share of counterfeit
complaints, and one that declares one region and ships from another; and the
adversaries of the wording rules: fakes behind disclaimers ("非高仿"), fakes
that say what they are "for", and cheap "replica" jerseys. Legit scenarios are
the look-alikes a monitor must not flag: authorised stores, honest sales, used
and refurbished goods, unbranded goods, ordinary shops in the hot-spot regions,
genuine viral popularity, shops that promise "no replicas" in many languages and
spellings, young shops selling accessories "for iPhone" in bulk, newly opened
authorised shops with large stock, and authorised sports retailers selling the
official "replica" (fan) version of football kits.

Groups (:data:`GROUP_SCENARIOS`, from 400 sellers on) are cast whole: a chain
gang whose shops each share one hard identifier with the next only, and an
upstream supplier whose resellers buy one brand from it again and again and
list it (fraud); franchises of authorised stores sharing a payout account,
shops an agency runs from one device, and a fulfilment warehouse whose return
address hundreds of honest sellers share (legit look-alikes of rings).

Reference prices and currency rates come from the bundled ``rules.toml``. All
randomness comes from the ``random.Random`` handed in with each seller; nothing
reads the clock.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import random
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Final, Literal, TypeAlias

from stream.rules import load_rules

Label: TypeAlias = Literal["fraud", "legit"]
Event: TypeAlias = dict[str, Any]
"""One event as a JSON object of the wire contract (``docs/EVENTS.md``)."""
Draft: TypeAlias = tuple[int, int, int, str, Event]
"""A generated event: arrival second, seller index, sequence number, stream, event."""
Loc: TypeAlias = tuple[str, str, str]
"""Country (ISO 3166-1 alpha-2), province, city; empty strings are left out."""
Complaint: TypeAlias = tuple[str, str, int]
"""Event type (``order_refunded``/``order_disputed``), reason, delay in seconds."""


# Scenario names -------------------------------------------------------------

SNEAKER_RING: Final = "sneaker_ring"
LUXURY_BAGS_OBFUSCATED: Final = "luxury_bags_obfuscated"
ELECTRONICS_NO_WORDS: Final = "electronics_no_words"
YOUNG_BULK_UNAUTHORISED: Final = "young_bulk_unauthorised"
REFUND_DISPUTES_ONLY: Final = "refund_disputes_only"
DISPATCH_MISMATCH: Final = "dispatch_mismatch"
AUTHORISED_STORE: Final = "authorised_store"
HONEST_SALE: Final = "honest_sale"
USED_REFURBISHED: Final = "used_refurbished"
GENERIC_GOODS: Final = "generic_goods"
HOTSPOT_ORDINARY: Final = "hotspot_ordinary"
VIRAL_SELLER: Final = "viral_seller"
DISCLAIMER_ABUSE: Final = "disclaimer_abuse"
COMPATIBILITY_ABUSE: Final = "compatibility_abuse"
FAKE_REPLICA_JERSEYS: Final = "fake_replica_jerseys"
DISCLAIMER_STORE: Final = "disclaimer_store"
COMPATIBLE_ACCESSORIES: Final = "compatible_accessories"
YOUNG_AUTHORISED_SHOP: Final = "young_authorised_shop"
REPLICA_KIT_RETAILER: Final = "replica_kit_retailer"
CHAIN_GANG: Final = "chain_gang"
SUPPLIER_RESELLERS: Final = "supplier_resellers"
HONEST_FRANCHISE: Final = "honest_franchise"
AGENCY_SHOPS: Final = "agency_shops"
FULFILMENT_WAREHOUSE: Final = "fulfilment_warehouse"

FRAUD_SCENARIOS: Final = (
    SNEAKER_RING,
    LUXURY_BAGS_OBFUSCATED,
    ELECTRONICS_NO_WORDS,
    YOUNG_BULK_UNAUTHORISED,
    REFUND_DISPUTES_ONLY,
    DISPATCH_MISMATCH,
    DISCLAIMER_ABUSE,
    COMPATIBILITY_ABUSE,
    FAKE_REPLICA_JERSEYS,
    CHAIN_GANG,
    SUPPLIER_RESELLERS,
)
LEGIT_SCENARIOS: Final = (
    AUTHORISED_STORE,
    HONEST_SALE,
    USED_REFURBISHED,
    GENERIC_GOODS,
    HOTSPOT_ORDINARY,
    VIRAL_SELLER,
    DISCLAIMER_STORE,
    COMPATIBLE_ACCESSORIES,
    YOUNG_AUTHORISED_SHOP,
    REPLICA_KIT_RETAILER,
    HONEST_FRANCHISE,
    AGENCY_SHOPS,
    FULFILMENT_WAREHOUSE,
)
ALL_SCENARIOS: Final = FRAUD_SCENARIOS + LEGIT_SCENARIOS
GROUP_SCENARIOS: Final = (
    CHAIN_GANG,
    SUPPLIER_RESELLERS,
    HONEST_FRANCHISE,
    AGENCY_SHOPS,
    FULFILMENT_WAREHOUSE,
)
"""Scenarios cast as whole groups, sized by the marketplace rather than by the
weights (:func:`stream.devtools.simulation.generator.group_casting`)."""

# How the rest of the fraud and legit population is split once every scenario
# has one seller: rings are the common case; most honest sellers are ordinary.
FRAUD_WEIGHTS: Final[dict[str, float]] = {
    SNEAKER_RING: 3.0,
    LUXURY_BAGS_OBFUSCATED: 3.0,
    ELECTRONICS_NO_WORDS: 3.0,
    YOUNG_BULK_UNAUTHORISED: 2.0,
    REFUND_DISPUTES_ONLY: 1.0,
    DISPATCH_MISMATCH: 1.0,
    DISCLAIMER_ABUSE: 2.0,
    COMPATIBILITY_ABUSE: 1.5,
    FAKE_REPLICA_JERSEYS: 1.0,
}
LEGIT_WEIGHTS: Final[dict[str, float]] = {
    GENERIC_GOODS: 42.0,
    HOTSPOT_ORDINARY: 14.0,
    AUTHORISED_STORE: 10.0,
    HONEST_SALE: 8.0,
    USED_REFURBISHED: 8.0,
    VIRAL_SELLER: 3.0,
    DISCLAIMER_STORE: 8.0,
    COMPATIBLE_ACCESSORIES: 5.0,
    YOUNG_AUTHORISED_SHOP: 3.0,
    REPLICA_KIT_RETAILER: 3.0,
}
RING_SCENARIOS: Final = (
    SNEAKER_RING,
    LUXURY_BAGS_OBFUSCATED,
    ELECTRONICS_NO_WORDS,
    YOUNG_BULK_UNAUTHORISED,
)
"""Fraud scenarios whose sellers come in rings of 2 to 4 sharing identity hashes."""
HONEST_GROUPS: Final = (HONEST_FRANCHISE, AGENCY_SHOPS, FULFILMENT_WAREHOUSE)
"""Legit scenarios whose sellers come in groups that look like rings."""
GROUP_SIZES: Final[dict[str, tuple[int, int]]] = {
    **dict.fromkeys(RING_SCENARIOS, (2, 4)),
    CHAIN_GANG: (60, 60),
    SUPPLIER_RESELLERS: (6, 6),
    HONEST_FRANCHISE: (3, 6),
    AGENCY_SHOPS: (3, 8),
    FULFILMENT_WAREHOUSE: (10_000, 10_000),
}
"""Members per group, by scenario: a chain gang of up to 60 shops, a supplier and
five resellers, a franchise of 3-6 stores, an agency's 3-8 shops, and one
warehouse for all of its sellers."""
TRACKING_POOL: Final = 2
"""Tracking numbers two chained shops take turns reusing."""

DAY: Final = 86_400
HOUR: Final = 3_600
MINUTE: Final = 60
MAX_LATENESS: Final = 600
"""A late event arrives at most this many seconds after its event time."""
CST: Final = timezone(timedelta(hours=8))

# Reference data ---------------------------------------------------------------


@dataclass(frozen=True)
class PriceList:
    """Reference prices and currency rates of a rules file, as the simulator prices goods."""

    prices: dict[tuple[str, str], float]
    rates: dict[str, float]

    def reference(self, brand: str, category: str) -> float:
        """The reference price in CNY of a new, genuine ``brand`` item in ``category``."""
        return self.prices[(brand, category)]

    def to_currency(self, cny: float, currency: str) -> float:
        """Price a CNY amount in ``currency`` the way a shop would (``899.9``, ``12.49``).

        Args:
            cny: The amount in CNY.
            currency: ISO 4217 code present in the rules' ``currency_rates``.

        Returns:
            A positive price with at most two decimals.
        """
        value = cny / self.rates[currency]
        if value >= 100:
            cents = 0.1 if currency == "CNY" else 0.01
            return round(round(value) - cents, 2)
        if value >= 10 and currency == "CNY":
            return round(value, 1)
        return max(round(value, 2), 0.01)


@lru_cache(maxsize=4)
def load_prices(path: Path | None = None) -> PriceList:
    """Reference prices and rates of a rules file, read by the monitor's own loader (cached).

    Args:
        path: A rules TOML file; None: the bundled ``stream/data/rules.toml``.

    Returns:
        The price list.

    Raises:
        stream.rules.RulesConfigError: when the file is not valid rules.
    """
    rules = load_rules(path)
    prices = {(e.brand, e.category): e.reference_price for e in rules.catalog}
    return PriceList(prices, dict(rules.currency_rates))


# Places -----------------------------------------------------------------------

PUTIAN: Final = ("CN", "Fujian", "Putian")
JINJIANG: Final = ("CN", "Fujian", "Jinjiang")
QUANZHOU: Final = ("CN", "Fujian", "Quanzhou")
XIAMEN: Final = ("CN", "Fujian", "Xiamen")
FUZHOU: Final = ("CN", "Fujian", "Fuzhou")
GUANGZHOU: Final = ("CN", "Guangdong", "Guangzhou")
SHENZHEN: Final = ("CN", "Guangdong", "Shenzhen")
DONGGUAN: Final = ("CN", "Guangdong", "Dongguan")
FOSHAN: Final = ("CN", "Guangdong", "Foshan")
SHANTOU: Final = ("CN", "Guangdong", "Shantou")
SHANGHAI: Final = ("CN", "Shanghai", "Shanghai")
BEIJING: Final = ("CN", "Beijing", "Beijing")
HANGZHOU: Final = ("CN", "Zhejiang", "Hangzhou")
YIWU: Final = ("CN", "Zhejiang", "Yiwu")
NINGBO: Final = ("CN", "Zhejiang", "Ningbo")
NANJING: Final = ("CN", "Jiangsu", "Nanjing")
SUZHOU: Final = ("CN", "Jiangsu", "Suzhou")
NANTONG: Final = ("CN", "Jiangsu", "Nantong")
QINGDAO: Final = ("CN", "Shandong", "Qingdao")
CHENGDU: Final = ("CN", "Sichuan", "Chengdu")
WUHAN: Final = ("CN", "Hubei", "Wuhan")
TIANJIN: Final = ("CN", "Tianjin", "Tianjin")
CHANGSHA: Final = ("CN", "Hunan", "Changsha")
XIAN: Final = ("CN", "Shaanxi", "Xi'an")
ZHENGZHOU: Final = ("CN", "Henan", "Zhengzhou")
SHENYANG: Final = ("CN", "Liaoning", "Shenyang")
KUNMING: Final = ("CN", "Yunnan", "Kunming")
CHONGQING: Final = ("CN", "Chongqing", "Chongqing")
HEFEI: Final = ("CN", "Anhui", "Hefei")
NANCHANG: Final = ("CN", "Jiangxi", "Nanchang")
HONG_KONG: Final = ("HK", "", "Hong Kong")
NEW_YORK: Final = ("US", "NY", "New York")
LOS_ANGELES: Final = ("US", "CA", "Los Angeles")
MILAN: Final = ("IT", "Lombardy", "Milan")
PARIS: Final = ("FR", "Ile-de-France", "Paris")
BERLIN: Final = ("DE", "Berlin", "Berlin")

ORDINARY_CITIES: Final = (
    SHANGHAI,
    BEIJING,
    HANGZHOU,
    YIWU,
    NINGBO,
    NANJING,
    SUZHOU,
    NANTONG,
    QINGDAO,
    CHENGDU,
    WUHAN,
    TIANJIN,
    CHANGSHA,
    XIAN,
    ZHENGZHOU,
    SHENYANG,
    HEFEI,
    SHANTOU,
    FOSHAN,
    XIAMEN,
)
"""Where most honest shops are registered (hot spots included, as in life)."""
PROVINCES: Final = (
    SHENZHEN,
    SHANGHAI,
    HANGZHOU,
    NANJING,
    CHENGDU,
    WUHAN,
    ZHENGZHOU,
    CHANGSHA,
    HEFEI,
    NANCHANG,
    QINGDAO,
    SHENYANG,
    KUNMING,
    XIAN,
)
"""One city in each of many provinces: where the memory gang registers its shops."""
BUYER_CITIES: Final = (
    SHANGHAI,
    BEIJING,
    CHENGDU,
    WUHAN,
    XIAN,
    CHONGQING,
    TIANJIN,
    CHANGSHA,
    SHENYANG,
    KUNMING,
    SHENZHEN,
    HANGZHOU,
    NANJING,
    ZHENGZHOU,
    HEFEI,
    GUANGZHOU,
    QINGDAO,
    NANCHANG,
)
FOREIGN_STORES: Final[tuple[tuple[Loc, str], ...]] = (
    (HONG_KONG, "HKD"),
    (HONG_KONG, "HKD"),
    (NEW_YORK, "USD"),
    (LOS_ANGELES, "USD"),
    (MILAN, "EUR"),
    (PARIS, "EUR"),
    (BERLIN, "EUR"),
)
"""Foreign shops and the currency they price in."""

# Products ---------------------------------------------------------------------

SNEAKERS: Final = (
    ("Nike", "shoes/sneakers"),
    ("Air Jordan", "shoes/sneakers"),
    ("Adidas", "shoes/sneakers"),
    ("New Balance", "shoes/sneakers"),
    ("Puma", "shoes/sneakers"),
)
LUXURY_BAGS: Final = (
    ("Louis Vuitton", "bags/handbags"),
    ("Louis Vuitton", "accessories/wallets"),
    ("Gucci", "bags/handbags"),
    ("Gucci", "accessories/belts"),
    ("Chanel", "bags/handbags"),
    ("Hermes", "bags/handbags"),
    ("Prada", "bags/handbags"),
    ("Dior", "bags/handbags"),
)
MEMORY_STORAGE: Final = (
    ("Samsung", "electronics/memory"),
    ("Samsung", "electronics/storage"),
    ("SanDisk", "electronics/memory"),
    ("SanDisk", "electronics/storage"),
    ("Kingston", "electronics/memory"),
    ("Western Digital", "electronics/storage"),
)
BULK_BRANDS: Final = (
    ("Dyson", "home/appliances"),
    ("Apple", "electronics/audio"),
    ("Lancome", "beauty/skincare"),
    ("Estee Lauder", "beauty/skincare"),
    ("SK-II", "beauty/skincare"),
    ("Lego", "toys/building"),
    ("Ray-Ban", "accessories/sunglasses"),
    ("Dior", "beauty/fragrance"),
)
COSMETICS_ACCESSORIES: Final = (
    ("Lancome", "beauty/skincare"),
    ("Estee Lauder", "beauty/skincare"),
    ("SK-II", "beauty/skincare"),
    ("Dior", "beauty/fragrance"),
    ("Pandora", "jewelry/bracelets"),
    ("Ray-Ban", "accessories/sunglasses"),
)

STORE_LINES: Final[tuple[tuple[tuple[str, str], ...], ...]] = (
    (("Nike", "shoes/sneakers"), ("Nike", "apparel/sportswear"), ("Air Jordan", "shoes/sneakers")),
    (("Adidas", "shoes/sneakers"), ("Adidas", "apparel/sportswear")),
    (("New Balance", "shoes/sneakers"),),
    (("Puma", "shoes/sneakers"),),
    (
        ("Apple", "electronics/phones"),
        ("Apple", "electronics/audio"),
        ("Apple", "electronics/laptops"),
    ),
    (
        ("Samsung", "electronics/phones"),
        ("Samsung", "electronics/memory"),
        ("Samsung", "electronics/storage"),
    ),
    (("SanDisk", "electronics/memory"), ("SanDisk", "electronics/storage")),
    (("Kingston", "electronics/memory"), ("Western Digital", "electronics/storage")),
    (("Sony", "electronics/audio"),),
    (("Louis Vuitton", "bags/handbags"), ("Louis Vuitton", "accessories/wallets")),
    (("Gucci", "bags/handbags"), ("Gucci", "accessories/belts")),
    (("Prada", "bags/handbags"),),
    (("Rolex", "watches/luxury"), ("Omega", "watches/luxury"), ("Cartier", "watches/luxury")),
    (("Dyson", "home/appliances"),),
    (("Lancome", "beauty/skincare"), ("Estee Lauder", "beauty/skincare")),
    (("SK-II", "beauty/skincare"), ("Dior", "beauty/fragrance")),
    (("The North Face", "apparel/outerwear"), ("Canada Goose", "apparel/outerwear")),
    (("Moncler", "apparel/outerwear"),),
    (("Ray-Ban", "accessories/sunglasses"),),
    (("Lego", "toys/building"),),
    (("Pandora", "jewelry/bracelets"), ("Cartier", "jewelry/rings")),
)
"""What an authorised store carries: one brand family per store."""
USED_LINES: Final[tuple[tuple[tuple[tuple[str, str], ...], str], ...]] = (
    (
        (
            ("Louis Vuitton", "bags/handbags"),
            ("Gucci", "bags/handbags"),
            ("Chanel", "bags/handbags"),
        ),
        "used",
    ),
    (
        (("Rolex", "watches/luxury"), ("Omega", "watches/luxury"), ("Cartier", "watches/luxury")),
        "used",
    ),
    ((("Apple", "electronics/phones"), ("Samsung", "electronics/phones")), "used"),
    ((("Canada Goose", "apparel/outerwear"), ("Moncler", "apparel/outerwear")), "used"),
    ((("Sony", "electronics/audio"), ("Lego", "toys/building")), "used"),
    ((("Apple", "electronics/phones"), ("Apple", "electronics/laptops")), "refurbished"),
    ((("Samsung", "electronics/phones"), ("Dyson", "home/appliances")), "refurbished"),
)
"""What a second-hand shop deals in, and whether its goods are used or refurbished."""

MODELS: Final[dict[tuple[str, str], tuple[str, ...]]] = {
    ("Nike", "shoes/sneakers"): ("Nike Air Zoom Pegasus 41", "Nike Air Max 90", "Nike Dunk Low"),
    ("Nike", "apparel/sportswear"): ("Nike Dri-FIT running tee", "Nike Club fleece hoodie"),
    ("Air Jordan", "shoes/sneakers"): ("Air Jordan 1 Retro High OG", "Air Jordan 4 Retro"),
    ("Adidas", "shoes/sneakers"): ("Adidas Samba OG", "Adidas Ultraboost 5", "Adidas Gazelle"),
    ("Adidas", "apparel/sportswear"): ("Adidas Tiro 24 training pants", "Adidas Essentials hoodie"),
    ("New Balance", "shoes/sneakers"): ("New Balance 574", "New Balance 990v6", "New Balance 530"),
    ("Puma", "shoes/sneakers"): ("Puma Suede Classic", "Puma Palermo", "Puma Speedcat OG"),
    ("Louis Vuitton", "bags/handbags"): (
        "Louis Vuitton Neverfull MM",
        "Louis Vuitton Speedy Bandouliere 25",
        "Louis Vuitton OnTheGo MM",
    ),
    ("Louis Vuitton", "accessories/wallets"): ("Louis Vuitton Zippy wallet",),
    ("Gucci", "bags/handbags"): ("Gucci GG Marmont shoulder bag", "Gucci Jackie 1961 small bag"),
    ("Gucci", "accessories/belts"): ("Gucci GG Marmont leather belt",),
    ("Chanel", "bags/handbags"): ("Chanel Classic Flap bag medium", "Chanel 22 handbag"),
    ("Hermes", "bags/handbags"): ("Hermes Birkin 30", "Hermes Kelly 28"),
    ("Prada", "bags/handbags"): ("Prada Re-Edition 2005 nylon bag", "Prada Galleria saffiano bag"),
    ("Dior", "bags/handbags"): ("Dior Lady Dior medium bag", "Dior Book Tote medium"),
    ("Dior", "beauty/fragrance"): (
        "Dior Sauvage eau de parfum 100ml",
        "Miss Dior eau de parfum 50ml",
    ),
    ("Rolex", "watches/luxury"): ("Rolex Submariner Date 41", "Rolex Datejust 36"),
    ("Omega", "watches/luxury"): ("Omega Speedmaster Moonwatch", "Omega Seamaster Diver 300M"),
    ("Cartier", "watches/luxury"): ("Cartier Santos medium", "Cartier Tank Must"),
    ("Cartier", "jewelry/rings"): ("Cartier Love ring", "Cartier Juste un Clou ring"),
    ("Apple", "electronics/phones"): ("Apple iPhone 16 128GB", "Apple iPhone 16 Pro 256GB"),
    ("Apple", "electronics/audio"): ("Apple AirPods Pro 2", "Apple AirPods 4"),
    ("Apple", "electronics/laptops"): ("Apple MacBook Air 13 M3", "Apple MacBook Pro 14 M4"),
    ("Samsung", "electronics/storage"): (
        "Samsung PM1733 15.36TB enterprise NVMe SSD",
        "Samsung 990 PRO 8TB NVMe SSD",
    ),
    ("Samsung", "electronics/memory"): (
        "Samsung PRO Plus 512GB microSDXC card",
        "Samsung 64GB DDR5 RDIMM server memory",
    ),
    ("Samsung", "electronics/phones"): ("Samsung Galaxy S25 256GB", "Samsung Galaxy Z Flip6"),
    ("Sony", "electronics/audio"): ("Sony WH-1000XM5 headphones", "Sony WF-1000XM5 earbuds"),
    ("SanDisk", "electronics/memory"): (
        "SanDisk Extreme 1TB microSDXC card",
        "SanDisk Extreme PRO 512GB SD card",
    ),
    ("SanDisk", "electronics/storage"): (
        "SanDisk Extreme portable SSD 2TB",
        "SanDisk Extreme PRO portable SSD 4TB",
    ),
    ("Kingston", "electronics/memory"): (
        "Kingston FURY Beast 32GB DDR5 kit",
        "Kingston FURY Renegade 48GB DDR5 kit",
    ),
    ("Western Digital", "electronics/storage"): (
        "Western Digital WD Black SN850X 4TB SSD",
        "Western Digital WD Red Plus 12TB NAS drive",
    ),
    ("Dyson", "home/appliances"): (
        "Dyson V15 Detect cordless vacuum",
        "Dyson Supersonic hair dryer",
        "Dyson Airwrap multi-styler",
    ),
    ("Canada Goose", "apparel/outerwear"): ("Canada Goose Expedition parka",),
    ("The North Face", "apparel/outerwear"): (
        "The North Face 1996 Retro Nuptse jacket",
        "The North Face Himalayan down parka",
    ),
    ("Moncler", "apparel/outerwear"): ("Moncler Maya down jacket",),
    ("Ray-Ban", "accessories/sunglasses"): ("Ray-Ban Wayfarer RB2140", "Ray-Ban Aviator RB3025"),
    ("Estee Lauder", "beauty/skincare"): ("Estee Lauder Advanced Night Repair serum 50ml",),
    ("Lancome", "beauty/skincare"): ("Lancome Advanced Genifique serum 100ml",),
    ("SK-II", "beauty/skincare"): ("SK-II Facial Treatment Essence 230ml",),
    ("Lego", "toys/building"): (
        "Lego Technic Porsche 911 GT3 RS",
        "Lego Star Wars Millennium Falcon",
    ),
    ("Pandora", "jewelry/bracelets"): ("Pandora Moments snake chain bracelet",),
}
"""Model names of branded products, by (brand, category) of the reference catalog."""

MODELS_ZH: Final[dict[str, tuple[str, ...]]] = {
    "Nike": ("耐克 空军一号 低帮板鞋", "耐克 Dunk 低帮"),
    "Air Jordan": ("乔丹 AJ1 芝加哥 高帮", "乔丹 AJ4 篮球鞋"),
    "Adidas": ("阿迪达斯 三叶草 板鞋", "阿迪达斯 椰子 350"),
    "New Balance": ("新百伦 NB990 跑鞋", "新百伦 530 老爹鞋"),
    "Puma": ("彪马 Suede 板鞋",),
}
"""Chinese titles of the Putian replica shops (the brand only as its Chinese alias)."""

MISSPELLED: Final[dict[str, tuple[str, ...]]] = {
    "Nike": ("Nikee", "Nlke"),
    "Air Jordan": ("Air Jordon", "Air Jordann"),
    "Adidas": ("Addidas", "Adidos"),
    "New Balance": ("New Balanse", "Neu Balance"),
    "Puma": ("Pumma",),
    "Louis Vuitton": ("Louis Vuiton", "Loui Vuitton", "Louis Vutton"),
    "Gucci": ("Guci", "Gucchi"),
    "Chanel": ("Channel", "Chanell"),
    "Hermes": ("Hermmes", "Hermez"),
    "Prada": ("Pradda", "Prado"),
    "Dior": ("Diorr", "Dier"),
}

GENERIC: Final[dict[str, tuple[tuple[str, str, int, int], ...]]] = {
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
    "electronics": (
        ("USB-C to USB-C braided charging cable, 2 m", "electronics/accessories", 19, 39),
        ("65W GaN USB-C wall charger, 3 ports", "electronics/accessories", 89, 149),
        ("Rechargeable AAA batteries, 8 pack, 1100mAh", "electronics/batteries", 39, 69),
        ("Magnetic phone mount for car dashboard", "electronics/accessories", 29, 69),
        ("128GB USB 3.2 flash drive, metal case", "electronics/memory", 39, 79),
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
    "womens": (
        ("女士雪纺衬衫 夏季新款", "apparel/womens", 69, 139),
        ("高腰阔腿裤 女", "apparel/womens", 79, 159),
        ("Knitted cardigan for women, autumn", "apparel/womens", 99, 199),
    ),
    "beauty_tools": (
        ("Makeup brush set, 12 pieces", "beauty/tools", 39, 89),
        ("Travel cosmetic bag, waterproof", "beauty/tools", 29, 59),
        ("化妆刷套装 12支 软毛", "beauty/tools", 39, 79),
    ),
    "shoes": (
        ("Breathable mesh running shoes, unbranded", "shoes/sneakers", 99, 199),
        ("Lightweight canvas trainers for men", "shoes/sneakers", 79, 149),
        ("透气网面跑步鞋 男款 轻便减震", "shoes/sneakers", 89, 179),
        ("儿童运动鞋 魔术贴 春秋款", "shoes/kids", 69, 139),
        ("运动棉袜 5双装", "apparel/socks", 19, 39),
    ),
    "leather": (
        ("Genuine leather bifold wallet, handmade", "accessories/wallets", 89, 199),
        ("Full-grain leather belt, 35 mm", "accessories/belts", 79, 169),
        ("PU imitation leather crossbody bag", "bags/handbags", 59, 129),
        ("真皮短款钱包 男士", "accessories/wallets", 99, 199),
    ),
    "bags": (
        ("Plain canvas tote bag, 40 x 35 cm", "bags/totes", 19, 49),
        ("Women's leather shoulder bag, own design", "bags/handbags", 199, 459),
        ("女士帆布托特包 大容量", "bags/totes", 39, 79),
    ),
    "collectibles": (
        ("1:1 scale replica helmet, movie prop, display stand", "collectibles/props", 599, 1299),
        ("1:1 比例 模型 钢铁侠 头盔 可穿戴", "collectibles/props", 399, 899),
        ("1:18 scale die-cast model car, opening doors", "toys/models", 159, 399),
        ("Life-size 1:1 scale figure bust, resin", "collectibles/figures", 899, 1999),
    ),
    "pearls": (
        ("AAA grade freshwater pearl necklace, 7-8 mm", "jewelry/pearls", 199, 599),
        ("AAA级 淡水珍珠项链 正圆强光", "jewelry/pearls", 299, 799),
        ("Mirror finish sterling silver bangle", "jewelry/bracelets", 159, 359),
    ),
    "batteries": (
        ("AAA battery charger with 4 rechargeable cells", "electronics/batteries", 59, 119),
        ("AAA 7号电池 碱性 20粒装", "electronics/batteries", 15, 35),
        ("LED torch, takes 3 AAA batteries (not included)", "home/lighting", 29, 69),
        ("Mirror finish stainless steel travel mug, 450 ml", "home/kitchen", 49, 99),
    ),
    "watches": (
        ("Men's quartz watch, stainless steel, 50 m water resistant", "watches/fashion", 129, 299),
        ("Minimalist women's watch, leather strap", "watches/fashion", 99, 239),
        ("男士机械手表 自动机芯 防水", "watches/fashion", 259, 599),
    ),
}
"""Unbranded products: title, category, usual price range in CNY, by product line."""

GENERIC_LINES: Final = (
    "collectibles",
    "pearls",
    "batteries",
    "kitchen",
    "textiles",
    "tshirts",
    "electronics",
    "toys",
    "stationery",
    "fitness",
    "womens",
    "beauty_tools",
    "leather",
    "bags",
)
GENERIC_DESCRIPTIONS: Final = (
    "Factory direct from {city}. Ships within 48 hours.",
    "Good quality, fast dispatch, 7-day returns.",
    "Own design, no brand. Bulk orders welcome.",
    "产地直发，支持七天无理由退换。",
)

VOCAB_SNEAKERS: Final = ("1:1", "AAA", "高仿", "原单", "纯原", "replica", "ua quality", "复刻")
VOCAB_BAGS: Final = ("replica", "mirror quality", "super copy", "1:1", "AAA")
PINYIN_TERMS: Final = ("gaofang", "fuke", "yuandan", "jingfang", "gao fang")
SPACED_TERMS: Final = ("r e p l i c a", "m i r r o r  q u a l i t y", "s u p e r c o p y")
LEET_TERMS: Final = ("r3plica", "repl1ca", "m1rror qual1ty", "sup3r c0py", "rep1ica")
FULL_WIDTH_SOURCES: Final = ("REPLICA", "AAA", "1:1", "mirror quality", "super copy")
HONEST_REASONS: Final = ("not_as_described", "damaged", "not_received", "other", "counterfeit")
HONEST_REASON_WEIGHTS: Final = (30.0, 25.0, 20.0, 24.0, 1.0)
FRAUD_OTHER_REASONS: Final = ("not_as_described", "damaged", "not_received", "other")

# When people list and buy, by local hour in China (UTC+8).
ORDER_HOURS_CST: Final = (
    3,
    2,
    1,
    1,
    1,
    1,
    2,
    4,
    6,
    8,
    9,
    10,
    10,
    9,
    9,
    9,
    9,
    9,
    10,
    12,
    14,
    15,
    13,
    7,
)
LISTING_HOURS_CST: Final = (
    1,
    0,
    0,
    0,
    0,
    0,
    1,
    2,
    5,
    9,
    10,
    10,
    8,
    9,
    10,
    10,
    9,
    8,
    6,
    5,
    5,
    4,
    3,
    2,
)


# Small helpers -----------------------------------------------------------------


def digest(*parts: object) -> str:
    """A short stable hex digest of ``parts`` (stands in for salted hashes)."""
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:16]


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson-distributed count with mean ``lam`` (normal approximation above 30)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit = math.exp(-lam)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def full_width(text: str) -> str:
    """``text`` in full-width forms (``AAA`` -> ``ＡＡＡ``); NFKC folds it back."""
    out = []
    for char in text:
        if char == " ":
            out.append("\u3000")
        elif "!" <= char <= "~":
            out.append(chr(ord(char) + 0xFEE0))
        else:
            out.append(char)
    return "".join(out)


@lru_cache(maxsize=256)
def location(loc: Loc) -> dict[str, str]:
    """The contract Location object of ``loc`` (shared between events: read-only)."""
    country, province, city = loc
    out = {"country": country}
    if province:
        out["province"] = province
    if city:
        out["city"] = city
    return out


def _hour_weights(start: datetime, profile: tuple[int, ...]) -> list[float]:
    """Cumulative weights of the 24 hours of a simulated day starting at ``start``."""
    first = start.astimezone(CST).hour
    cumulative: list[float] = []
    total = 0.0
    for offset in range(24):
        total += profile[(first + offset) % 24] + 0.01
        cumulative.append(total)
    return cumulative


# Seller state ------------------------------------------------------------------


@dataclass
class Product:
    """What a listing offers, with its price in CNY and where it stands to the catalog."""

    title: str
    category: str
    cny: float
    brand: str | None = None
    description: str | None = None
    image_text: str | None = None
    condition: str = "new"
    quantity: int = 10
    reference: float | None = None
    band: tuple[float, float] | None = None
    """The scenario's range of price / reference; price updates stay inside it."""


@dataclass
class Shop:
    """Who a seller is and how it behaves; built by :meth:`Scenario.shop`."""

    region: Loc
    declared_from: Loc | None = None
    scanned_from: tuple[Loc, ...] = ()
    currency: str = "CNY"
    foreign_share: float = 0.0
    utc8: bool = False
    age_days: float = 365.0
    authorized: tuple[str, ...] = ()
    initial_listings: int = 6
    listings_per_day: float = 2.0
    orders_per_day: float = 8.0
    update_p: float = 0.1
    remove_p: float = 0.03
    restock: bool = True
    refund_rate: float = 0.02
    counterfeit_share: float = 0.01
    brushing_share: float = 0.0
    regular_share: float = 0.15
    resale_share: float = 0.0
    resale_in_turn: bool = False
    """Sell to the other ring members in turn (a supplier restocking its resellers)."""
    links: tuple[str, ...] = ()
    owners: tuple[tuple[str, str], ...] = ()
    """Profile hashes (by kind) shared with someone else than the whole ring: a
    chained shop shares its phone with one neighbour only."""
    tracking_pools: tuple[str, ...] = ()
    """Tracking numbers reused with other shops: the keys of their pools."""
    tracking_share: float = 0.0
    """Share of orders shipped with a number of ``tracking_pools``."""
    viral_day: int | None = None
    viral_factor: float = 1.0
    branded: tuple[tuple[str, str], ...] = ()
    generic: tuple[str, ...] = ()
    condition: str = "new"
    complaint_target: float = 0.0

    @property
    def ship_from(self) -> Loc:
        """The dispatch location declared on its listings."""
        return self.declared_from or self.region

    @property
    def dispatch_points(self) -> tuple[Loc, ...]:
        """Where the carrier actually picks its parcels up."""
        return self.scanned_from or (self.ship_from,)


@dataclass
class SellerContext:
    """Everything one seller's run needs from the simulation."""

    index: int
    seller_id: str
    seed: int
    rng: random.Random
    start: datetime
    duration: int
    buyer_pool: int
    catalog: PriceList
    ring: str | None = None
    ring_members: tuple[str, ...] = ()
    late_fraction: float = 0.0

    @property
    def days(self) -> int:
        """Number of (possibly partial) simulated days."""
        return max(1, math.ceil(self.duration / DAY))

    def buyer(self, number: int) -> str:
        """The id of buyer ``number`` of the shared pool."""
        return f"sim{self.seed}-b{number:06d}"

    @property
    def position(self) -> int:
        """The seller's place among its ring's members (0 without a ring)."""
        if self.seller_id in self.ring_members:
            return self.ring_members.index(self.seller_id)
        return 0


@dataclass
class Listing:
    """A listing during the run: product, current price and stock."""

    listing_id: str
    product: Product
    created: int
    currency: str
    cny: float
    price: float
    stock: int
    weight: float
    active: bool = True
    hit: bool = False

    @property
    def ratio(self) -> float | None:
        """Current price over the reference, or None for unbranded goods."""
        ref = self.product.reference
        return None if ref is None else self.cny / ref


# Scenarios -----------------------------------------------------------------------


class Scenario:
    """Base of the scenarios: honest defaults that fraud scenarios override.

    Attributes:
        name: The scenario name written to ``labels.json``.
        label: ``"fraud"`` or ``"legit"``.
    """

    name: ClassVar[str] = ""
    label: ClassVar[Label] = "legit"

    def shop(self, ctx: SellerContext) -> Shop:
        """Build the seller.

        Args:
            ctx: The seller's context (its random generator, ring, period).

        Returns:
            The seller's profile and behaviour.
        """
        raise NotImplementedError

    def product(self, ctx: SellerContext, shop: Shop) -> Product:
        """A new product for the seller to list.

        Args:
            ctx: The seller's context.
            shop: The seller.

        Returns:
            The product with its CNY price.
        """
        raise NotImplementedError

    def order_quantity(self, rng: random.Random, shop: Shop) -> int:
        """Units a buyer orders at once."""
        return rng.choices((1, 2, 3), weights=(85, 12, 3))[0]

    def complaint(self, rng: random.Random, shop: Shop, progress: float) -> Complaint | None:
        """A refund or dispute following an order, if the buyer complains.

        Args:
            rng: The seller's random generator.
            shop: The seller.
            progress: Elapsed share of the simulated period when the order was placed.

        Returns:
            ``(event_type, reason, delay_seconds)``, or None.
        """
        if rng.random() >= shop.refund_rate:
            return None
        if rng.random() < shop.counterfeit_share:
            reason = "counterfeit"
        else:
            reason = rng.choices(HONEST_REASONS[:4], weights=HONEST_REASON_WEIGHTS[:4])[0]
        kind = "order_disputed" if rng.random() < 0.15 else "order_refunded"
        return kind, reason, rng.randint(12 * HOUR, 5 * DAY)

    def reprice(self, rng: random.Random, listing: Listing) -> float:
        """A new CNY price for a ``listing_updated`` event (stays in the scenario's band)."""
        band, reference = listing.product.band, listing.product.reference
        if band is None or reference is None:
            return listing.cny * rng.uniform(0.9, 1.08)
        ratio = listing.cny / reference * rng.uniform(0.93, 1.05)
        return min(band[1], max(band[0], ratio)) * reference

    # Helpers shared by the scenarios ------------------------------------------

    @staticmethod
    def branded_product(
        ctx: SellerContext,
        maker: str,
        category: str,
        band: tuple[float, float],
        title: str,
        quantity: int,
        *,
        brand: str | None,
        description: str | None = None,
        image_text: str | None = None,
        condition: str = "new",
    ) -> Product:
        """A product of ``maker`` priced at a random share of its reference within ``band``.

        Args:
            ctx: The seller's context (random generator and catalog).
            maker: The brand that really made the product (the catalog key).
            category: Its catalog category.
            band: Range of price / reference to draw from.
            title: Listing title.
            quantity: Units in stock.
            brand: The brand the seller declares (may be absent or misspelled).
            description: Listing description.
            image_text: Text in the listing's images.
            condition: ``new``, ``used`` or ``refurbished``.

        Returns:
            The product.
        """
        reference = ctx.catalog.reference(maker, category)
        ratio = ctx.rng.uniform(*band)
        return Product(
            title=title,
            category=category,
            cny=reference * ratio,
            brand=brand,
            description=description,
            image_text=image_text,
            condition=condition,
            quantity=quantity,
            reference=reference,
            band=band,
        )

    @staticmethod
    def generic_product(ctx: SellerContext, shop: Shop) -> Product:
        """An unbranded product of one of the seller's product lines."""
        rng = ctx.rng
        title, category, low, high = rng.choice(GENERIC[rng.choice(shop.generic)])
        description = rng.choice(GENERIC_DESCRIPTIONS).format(city=shop.region[2])
        return Product(
            title=title,
            category=category,
            cny=float(rng.randint(low, high)) - 0.1,
            description=description,
            quantity=rng.randint(20, 500),
        )


class SneakerRing(Scenario):
    """Replica sneakers from Putian: replica wording, 10-25% of reference, linked shops."""

    name = SNEAKER_RING
    label = "fraud"
    band: ClassVar[tuple[float, float]] = (0.10, 0.25)

    def shop(self, ctx: SellerContext) -> Shop:
        rng = ctx.rng
        return Shop(
            region=PUTIAN,
            utc8=rng.random() < 0.7,
            age_days=rng.uniform(30, 400),
            initial_listings=rng.randint(5, 12),
            listings_per_day=rng.uniform(2, 6),
            orders_per_day=rng.uniform(8, 20),
            update_p=0.12,
            remove_p=0.15,
            refund_rate=0.05,
            counterfeit_share=0.5,
            resale_share=0.03 if len(ctx.ring_members) > 1 else 0.0,
            links=("phone", "device"),
            branded=SNEAKERS,
        )

    def product(self, ctx: SellerContext, shop: Shop) -> Product:
        rng = ctx.rng
        brand, category = rng.choice(shop.branded)
        terms = " ".join(rng.sample(VOCAB_SNEAKERS, rng.randint(1, 2)))
        declared: str | None = brand
        roll = rng.random()
        if roll < 0.4:
            title = f"{rng.choice(MODELS_ZH[brand])} {terms} 莆田直发"
        elif roll < 0.65:
            declared = rng.choice(MISSPELLED[brand])
            model = rng.choice(MODELS[(brand, category)]).replace(brand, declared)
            title = f"{model} {terms} top batch"
        else:
            title = f"{rng.choice(MODELS[(brand, category)])} {terms} top batch"
        if rng.random() < 0.2:
            declared = None
        description = rng.choice(
            (
                "莆田工厂直发 支持验货 顺丰包邮",
                "Same as original, real photos, ships from Putian in 24h.",
                "Top batch, boxed with tags. Inspection before shipping.",
            )
        )
        return self.branded_product(
            ctx,
            brand,
            category,
            self.band,
            title,
            rng.randint(50, 300),
            brand=declared,
            description=description,
        )


class LuxuryBagsObfuscated(Scenario):
    """Luxury bags at 2-8% of reference whose wording dodges text filters."""

    name = LUXURY_BAGS_OBFUSCATED
    label = "fraud"
    band: ClassVar[tuple[float, float]] = (0.02, 0.08)
    techniques: ClassVar[tuple[str, ...]] = (
        "spaced",
        "leet",
        "pinyin",
        "full_width",
        "misspelled",
        "image_only",
    )

    def shop(self, ctx: SellerContext) -> Shop:
        rng = ctx.rng
        region = rng.choice((GUANGZHOU, GUANGZHOU, SHENZHEN, DONGGUAN))
        cross_border = rng.random() < 0.3
        return Shop(
            region=region,
            currency="USD" if cross_border else "CNY",
            foreign_share=0.6 if cross_border else 0.0,
            utc8=rng.random() < 0.5,
            age_days=rng.uniform(30, 700),
            initial_listings=rng.randint(4, 10),
            listings_per_day=rng.uniform(1.5, 4),
            orders_per_day=rng.uniform(3, 9),
            update_p=0.1,
            remove_p=0.15,
            refund_rate=0.08,
            counterfeit_share=0.7,
            links=("return_address", "payout"),
            branded=LUXURY_BAGS,
        )

    def product(self, ctx: SellerContext, shop: Shop) -> Product:
        rng = ctx.rng
        brand, category = rng.choice(shop.branded)
        model = rng.choice(MODELS[(brand, category)])
        bare = model.removeprefix(brand).strip()
        declared: str | None = rng.choice((brand, None, rng.choice(MISSPELLED[brand])))
        image_text: str | None = None
        technique = rng.choice(self.techniques)
        if technique == "spaced":
            title = f"{model} {rng.choice(SPACED_TERMS)}"
        elif technique == "leet":
            title = f"{model} {rng.choice(LEET_TERMS)}"
        elif technique == "pinyin":
            title = f"{model} {rng.choice(PINYIN_TERMS)} top grade"
        elif technique == "full_width":
            title = f"{model} {full_width(rng.choice(FULL_WIDTH_SOURCES))}"
        elif technique == "misspelled":
            spelled = rng.choice(MISSPELLED[brand])
            declared = spelled if declared is not None else None
            title = f"{spelled} {bare} top grade leather"
        else:  # image_only
            title = f"{bare} tote, top grade leather, real photos"
            declared = None
        if technique == "image_only" or rng.random() < 0.3:
            image_text = f"{rng.choice(VOCAB_BAGS)} | WeChat lux{rng.randint(100, 999)}"
        description = rng.choice(
            (
                "Counter quality leather, real photos. Add WeChat for more styles.",
                "Full set with dust bag and box. DM for details.",
                "专柜品质 实物拍摄 支持验货",
            )
        )
        return self.branded_product(
            ctx,
            brand,
            category,
            self.band,
            title,
            rng.randint(5, 40),
            brand=declared,
            description=description,
            image_text=image_text,
        )

    def order_quantity(self, rng: random.Random, shop: Shop) -> int:
        return 1


class ElectronicsNoWords(Scenario):
    """Fake memory and storage at 1-8% of reference, with plain honest-looking text."""

    name = ELECTRONICS_NO_WORDS
    label = "fraud"
    band: ClassVar[tuple[float, float]] = (0.01, 0.08)
    suffixes: ClassVar[tuple[str, ...]] = (
        "brand new, sealed",
        "full capacity, tested",
        "fast shipping, invoice available",
        "bulk pack",
        "全新正品 顺丰包邮",
        "",
    )

    def shop(self, ctx: SellerContext) -> Shop:
        rng = ctx.rng
        region = rng.choice(PROVINCES)
        return Shop(
            region=region,
            utc8=rng.random() < 0.5,
            age_days=rng.uniform(40, 500),
            initial_listings=rng.randint(4, 10),
            listings_per_day=rng.uniform(1.5, 5),
            orders_per_day=rng.uniform(6, 15),
            refund_rate=0.1,
            counterfeit_share=0.5,
            brushing_share=0.15,
            links=("payout",) if rng.random() < 0.7 else ("payout", "device"),
            branded=MEMORY_STORAGE,
        )

    def product(self, ctx: SellerContext, shop: Shop) -> Product:
        rng = ctx.rng
        brand, category = rng.choice(shop.branded)
        title = f"{rng.choice(MODELS[(brand, category)])} {rng.choice(self.suffixes)}".strip()
        return self.branded_product(
            ctx,
            brand,
            category,
            self.band,
            title,
            rng.randint(100, 1000),
            brand=brand,
            description="Genuine product, full capacity, tested before shipping.",
        )

    def order_quantity(self, rng: random.Random, shop: Shop) -> int:
        return rng.choices((1, 2, 3, 5, 10), weights=(50, 20, 12, 10, 8))[0]


class YoungBulkUnauthorised(Scenario):
    """A shop a few days old listing hundreds of units of brands it is not authorised for."""

    name = YOUNG_BULK_UNAUTHORISED
    label = "fraud"
    band: ClassVar[tuple[float, float]] = (0.40, 0.65)

    def shop(self, ctx: SellerContext) -> Shop:
        rng = ctx.rng
        return Shop(
            region=rng.choice(ORDINARY_CITIES),
            utc8=rng.random() < 0.5,
            age_days=rng.uniform(1, 6),
            initial_listings=rng.randint(6, 14),
            listings_per_day=rng.uniform(1, 4),
            orders_per_day=rng.uniform(4, 12),
            refund_rate=0.05,
            counterfeit_share=0.5,
            brushing_share=0.3,
            # shops opened together: one device, and the takings go to one account
            links=("device", "payout"),
            branded=tuple(rng.sample(BULK_BRANDS, 2)),
        )

    def product(self, ctx: SellerContext, shop: Shop) -> Product:
        rng = ctx.rng
        brand, category = rng.choice(shop.branded)
        suffix = rng.choice(("brand new, sealed", "in stock, ships today", "全新未拆封"))
        return self.branded_product(
            ctx,
            brand,
            category,
            self.band,
            f"{rng.choice(MODELS[(brand, category)])} {suffix}",
            rng.randint(200, 900),
            brand=brand,
            description="Large stock, wholesale welcome. Ships within 24 hours.",
        )

    def order_quantity(self, rng: random.Random, shop: Shop) -> int:
        return rng.choices((1, 2, 5), weights=(70, 20, 10))[0]


class RefundDisputesOnly(Scenario):
    """Honest-looking prices and wording; counterfeit complaints grow to 30-50% of orders."""

    name = REFUND_DISPUTES_ONLY
    label = "fraud"
    band: ClassVar[tuple[float, float]] = (0.75, 0.95)

    def shop(self, ctx: SellerContext) -> Shop:
        rng = ctx.rng
        return Shop(
            region=rng.choice(ORDINARY_CITIES),
            utc8=rng.random() < 0.5,
            age_days=rng.uniform(400, 2500),
            initial_listings=rng.randint(6, 12),
            listings_per_day=rng.uniform(1, 3),
            orders_per_day=rng.uniform(12, 20),
            branded=COSMETICS_ACCESSORIES,
            complaint_target=rng.uniform(0.30, 0.50),
        )

    def product(self, ctx: SellerContext, shop: Shop) -> Product:
        rng = ctx.rng
        brand, category = rng.choice(shop.branded)
        suffix = rng.choice(("genuine, with receipt", "gift box", "fast shipping", "正品保证"))
        return self.branded_product(
            ctx,
            brand,
            category,
            self.band,
            f"{rng.choice(MODELS[(brand, category)])} {suffix}",
            rng.randint(5, 30),
            brand=brand,
            description="Sourced from department stores. Batch code on the box.",
        )

    def order_quantity(self, rng: random.Random, shop: Shop) -> int:
        return 1

    def complaint(self, rng: random.Random, shop: Shop, progress: float) -> Complaint | None:
        kind = "order_disputed" if rng.random() < 0.35 else "order_refunded"
        delay = rng.randint(3 * HOUR, 20 * HOUR)
        # Near zero at first, rising to the target share by the end of the period.
        if rng.random() < shop.complaint_target * progress**1.5:
            return kind, "counterfeit", delay
        if rng.random() < 0.02:
            return kind, rng.choice(FRAUD_OTHER_REASONS), delay
        return None


class DispatchMismatch(Scenario):
    """Declares a big-city address; the carrier scans its parcels in Putian or Guangzhou."""

    name = DISPATCH_MISMATCH
    label = "fraud"
    band: ClassVar[tuple[float, float]] = (0.35, 0.60)

    def shop(self, ctx: SellerContext) -> Shop:
        rng = ctx.rng
        declared = rng.choice((SHANGHAI, SHANGHAI, BEIJING, HANGZHOU, NANJING))
        branded: tuple[tuple[str, str], ...]
        if rng.random() < 0.5:
            scanned, branded = (PUTIAN,), SNEAKERS
        else:
            scanned, branded = (GUANGZHOU,), LUXURY_BAGS[:4]
        return Shop(
            region=declared,
            scanned_from=scanned,
            utc8=rng.random() < 0.5,
            age_days=rng.uniform(60, 900),
            initial_listings=rng.randint(5, 10),
            listings_per_day=rng.uniform(1, 4),
            orders_per_day=rng.uniform(5, 12),
            refund_rate=0.04,
            counterfeit_share=0.4,
            branded=branded,
        )

    def product(self, ctx: SellerContext, shop: Shop) -> Product:
        rng = ctx.rng
        brand, category = rng.choice(shop.branded)
        suffix = rng.choice(
            ("season sale", "limited stock", f"fast shipping from {shop.region[2]}", "")
        )
        return self.branded_product(
            ctx,
            brand,
            category,
            self.band,
            f"{rng.choice(MODELS[(brand, category)])} {suffix}".strip(),
            rng.randint(10, 80),
            brand=brand,
        )


class AuthorisedStore(Scenario):
    """An authorised brand store at 90-105% of reference."""

    name = AUTHORISED_STORE
    label = "legit"
    band: ClassVar[tuple[float, float]] = (0.90, 1.05)
    suffixes: ClassVar[tuple[str, ...]] = (
        "official store",
        "authorised retailer",
        "官方旗舰店 正品",
        "with invoice",
    )

    def shop(self, ctx: SellerContext) -> Shop:
        rng = ctx.rng
        line = rng.choice(STORE_LINES)
        region, currency, foreign = rng.choice(ORDINARY_CITIES), "CNY", 0.0
        if rng.random() < 0.2:
            (region, currency), foreign = rng.choice(FOREIGN_STORES), 1.0
        return Shop(
            region=region,
            currency=currency,
            foreign_share=foreign,
            utc8=region[0] == "CN" and rng.random() < 0.5,
            age_days=rng.uniform(300, 3500),
            authorized=tuple(dict.fromkeys(brand for brand, _ in line)),
            initial_listings=rng.randint(8, 18),
            listings_per_day=rng.uniform(1, 3),
            orders_per_day=rng.uniform(8, 22),
            refund_rate=rng.uniform(0.01, 0.03),
            branded=line,
        )

    def product(self, ctx: SellerContext, shop: Shop) -> Product:
        rng = ctx.rng
        brand, category = rng.choice(shop.branded)
        return self.branded_product(
            ctx,
            brand,
            category,
            self.band,
            f"{rng.choice(MODELS[(brand, category)])} {rng.choice(self.suffixes)}",
            rng.randint(10, 120),
            brand=brand,
            description=(
                f"Authorised {brand} retailer. Invoice and official warranty included. "
                "100% authentic, no fakes."
            ),
        )


class HonestSale(Scenario):
    """An authorised retailer clearing stock at 30-48% off."""

    name = HONEST_SALE
    label = "legit"
    band: ClassVar[tuple[float, float]] = (0.52, 0.70)
    suffixes: ClassVar[tuple[str, ...]] = (
        "clearance",
        "end-of-season sale",
        "outlet price",
        "季末清仓",
        "限时折扣",
    )

    def shop(self, ctx: SellerContext) -> Shop:
        rng = ctx.rng
        line = rng.choice(STORE_LINES)
        region, currency, foreign = rng.choice(ORDINARY_CITIES), "CNY", 0.0
        if rng.random() < 0.2:
            (region, currency), foreign = rng.choice(FOREIGN_STORES), 1.0
        return Shop(
            region=region,
            currency=currency,
            foreign_share=foreign,
            utc8=region[0] == "CN" and rng.random() < 0.5,
            age_days=rng.uniform(200, 3000),
            authorized=tuple(dict.fromkeys(brand for brand, _ in line)),
            initial_listings=rng.randint(6, 14),
            listings_per_day=rng.uniform(2, 5),
            orders_per_day=rng.uniform(8, 20),
            update_p=0.35,
            refund_rate=rng.uniform(0.01, 0.03),
            branded=line,
        )

    def product(self, ctx: SellerContext, shop: Shop) -> Product:
        rng = ctx.rng
        brand, category = rng.choice(shop.branded)
        product = self.branded_product(
            ctx,
            brand,
            category,
            self.band,
            "",
            rng.randint(3, 60),
            brand=brand,
            description="Last season's stock from an authorised retailer, genuine with invoice.",
        )
        assert product.reference is not None
        off = round((1 - product.cny / product.reference) * 100)
        model = rng.choice(MODELS[(brand, category)])
        product.title = f"{model} {rng.choice(self.suffixes)} {off}% off"
        return product

    def reprice(self, rng: random.Random, listing: Listing) -> float:
        reference = listing.product.reference
        assert reference is not None
        ratio = listing.cny / reference
        return rng.uniform(self.band[0], max(self.band[0], ratio)) * reference


class UsedRefurbished(Scenario):
    """Second-hand and refurbished branded goods at 25-60% of reference, one unit at a time."""

    name = USED_REFURBISHED
    label = "legit"
    band: ClassVar[tuple[float, float]] = (0.25, 0.60)
    used_suffixes: ClassVar[tuple[str, ...]] = (
        "pre-owned, good condition",
        "used, with box",
        "二手 九成新",
    )
    refurb_suffixes: ClassVar[tuple[str, ...]] = (
        "certified refurbished, 1 year warranty",
        "官方翻新 保修一年",
    )

    def shop(self, ctx: SellerContext) -> Shop:
        rng = ctx.rng
        line, condition = rng.choice(USED_LINES)
        region, currency, foreign = rng.choice(ORDINARY_CITIES), "CNY", 0.0
        if rng.random() < 0.2:
            (region, currency), foreign = rng.choice(FOREIGN_STORES), 1.0
        return Shop(
            region=region,
            currency=currency,
            foreign_share=foreign,
            utc8=region[0] == "CN" and rng.random() < 0.5,
            age_days=rng.uniform(200, 3000),
            initial_listings=rng.randint(8, 16),
            listings_per_day=rng.uniform(3, 7),
            orders_per_day=rng.uniform(2, 6),
            update_p=0.15,
            remove_p=0.05,
            restock=False,
            refund_rate=rng.uniform(0.01, 0.03),
            branded=line,
            condition=condition,
        )

    def product(self, ctx: SellerContext, shop: Shop) -> Product:
        rng = ctx.rng
        brand, category = rng.choice(shop.branded)
        refurbished = shop.condition == "refurbished"
        suffixes = self.refurb_suffixes if refurbished else self.used_suffixes
        return self.branded_product(
            ctx,
            brand,
            category,
            self.band,
            f"{rng.choice(MODELS[(brand, category)])} {rng.choice(suffixes)}",
            rng.randint(1, 6) if refurbished else 1,
            brand=brand,
            condition=shop.condition,
            description="Photos of the actual item, proof of purchase available.",
        )

    def order_quantity(self, rng: random.Random, shop: Shop) -> int:
        return 1


class GenericGoods(Scenario):
    """Unbranded everyday goods at ordinary prices; one shop in ten opened days ago."""

    name = GENERIC_GOODS
    label = "legit"

    def shop(self, ctx: SellerContext) -> Shop:
        rng = ctx.rng
        region = rng.choice(ORDINARY_CITIES)
        return Shop(
            region=region,
            utc8=rng.random() < 0.5,
            age_days=rng.uniform(1, 25) if rng.random() < 0.1 else rng.uniform(60, 3000),
            initial_listings=rng.randint(5, 14),
            listings_per_day=rng.uniform(1, 4),
            orders_per_day=rng.uniform(5, 20),
            refund_rate=rng.uniform(0.01, 0.03),
            generic=tuple(rng.sample(GENERIC_LINES, rng.randint(1, 2))),
        )

    def product(self, ctx: SellerContext, shop: Shop) -> Product:
        return self.generic_product(ctx, shop)


class HotspotOrdinary(Scenario):
    """An ordinary shop in Putian/Fujian or Guangzhou/Guangdong: generic or authorised goods."""

    name = HOTSPOT_ORDINARY
    label = "legit"
    band: ClassVar[tuple[float, float]] = (0.90, 1.02)

    def shop(self, ctx: SellerContext) -> Shop:
        rng = ctx.rng
        fujian = rng.random() < 0.5
        region = (
            rng.choice((PUTIAN, PUTIAN, JINJIANG, QUANZHOU, XIAMEN, FUZHOU))
            if fujian
            else rng.choice((GUANGZHOU, GUANGZHOU, SHENZHEN, DONGGUAN, FOSHAN))
        )
        authorised = rng.random() < 0.25
        branded: tuple[tuple[str, str], ...] = ()
        generic: tuple[str, ...] = ()
        if authorised and fujian:
            branded = (rng.choice(SNEAKERS),)
        elif authorised:
            branded = (rng.choice((("Omega", "watches/luxury"), ("Gucci", "bags/handbags"))),)
        elif fujian:
            generic = ("shoes",) if rng.random() < 0.7 else ("shoes", "tshirts")
        else:
            generic = rng.choice((("leather",), ("bags",), ("watches",), ("leather", "bags")))
        return Shop(
            region=region,
            utc8=rng.random() < 0.6,
            age_days=rng.uniform(90, 3000),
            authorized=tuple(brand for brand, _ in branded),
            initial_listings=rng.randint(5, 14),
            listings_per_day=rng.uniform(1, 4),
            orders_per_day=rng.uniform(5, 18),
            refund_rate=rng.uniform(0.01, 0.03),
            branded=branded,
            generic=generic,
        )

    def product(self, ctx: SellerContext, shop: Shop) -> Product:
        rng = ctx.rng
        if not shop.branded:
            return self.generic_product(ctx, shop)
        brand, category = shop.branded[0]
        suffix = rng.choice(("authorised dealer", "official store", "正品 授权经销"))
        return self.branded_product(
            ctx,
            brand,
            category,
            self.band,
            f"{rng.choice(MODELS[(brand, category)])} {suffix}",
            rng.randint(5, 60),
            brand=brand,
            description=f"Authorised {brand} dealer in {shop.region[2]}. Invoice included.",
        )


class ViralSeller(Scenario):
    """An ordinary shop whose orders jump 18-30x on one day, from many distinct buyers."""

    name = VIRAL_SELLER
    label = "legit"

    def shop(self, ctx: SellerContext) -> Shop:
        rng = ctx.rng
        base = AuthorisedStore().shop(ctx) if rng.random() < 0.3 else GenericGoods().shop(ctx)
        base.orders_per_day = rng.uniform(8, 14)
        days = ctx.days
        base.viral_day = rng.randint(1, days - 2) if days >= 3 else days - 1
        base.viral_factor = rng.uniform(18, 30)
        return base

    def product(self, ctx: SellerContext, shop: Shop) -> Product:
        if shop.branded:
            return AuthorisedStore().product(ctx, shop)
        return self.generic_product(ctx, shop)


# Wording: disclaimers, compatibility, product names ---------------------------

DISCLAIMERS: Final = (
    # English
    "100% authentic, not a replica",
    "No replicas, no fakes",
    "Genuine only - we never sell replicas",
    "Not a replica: original with receipt",
    "No fakes or replicas, sourced from the brand",
    "No 1:1 copies, no AAA, only originals",
    "Zero replicas. Authenticity guaranteed",
    "We do not sell replicas or knock-offs",
    "Non-replica, authorised channel stock",
    "This is not a super copy, it is the real thing",
    # Simplified Chinese
    "正品保证 非A货",
    "拒绝高仿 假一赔十",
    "非高仿 非A货 专柜正品",
    "绝不卖高仿",
    "不是高仿，放心购买",
    "杜绝假货和高仿",
    "高仿勿扰",
    "A货勿拍 只做正品",
    "拒绝一切仿品",
    "非原单 非复刻 专柜正品",
    # Traditional Chinese
    "正品保證 非A貨",
    "拒絕高仿",
    "絕非仿品",
    "絕不賣高仿",
    "高仿勿擾",
    "非複刻 專櫃正品",
    # Pinyin
    "zhengpin baozheng, bushi gaofang",
    "jujue gaofang",
    "fei fuke, zhengpin",
)
"""Honest promises of authenticity that deny a counterfeit term."""

DISGUISED_DISCLAIMERS: Final = (
    "n0t a r3plica, 100% genuine",
    "N0 REPLICAS",
    "拒 绝 高 仿",
    "非 A 货 正 品",
)
"""The same promises written the way evasions are (look-alikes, spacing)."""

ABUSED_DISCLAIMERS: Final = (
    "非高仿 原单品质",
    "not original box, 1:1 replica",
    "not fake, AAA quality",
    "不是A货 是顶级复刻",
    "非A货 纯原 莆田直发",
    "no box, replica",
    "100% 正品 非高仿",
    "not a replica, top batch",
    "拒绝高仿 只做正品",
)
"""Disclaimers on fakes: some deny a term while using another beside it."""

ACCESSORIES: Final[tuple[tuple[str, str, int, int], ...]] = (
    ("适用苹果 iPhone 16 手机壳 磁吸 防摔", "electronics/cases", 19, 59),
    ("Magnetic case for iPhone 16 Pro Max, shockproof", "electronics/cases", 29, 79),
    ("iPhone 16 Pro 专用 钢化膜 2片装", "electronics/accessories", 9, 29),
    (
        "Tempered glass screen protector compatible with iPhone 15/16",
        "electronics/accessories",
        9,
        29,
    ),
    ("兼容三星 Galaxy S25 快充充电器 45W", "electronics/chargers", 39, 89),
    ("USB-C cable for Samsung Galaxy and iPhone 16, 2 m", "electronics/cables", 15, 39),
    ("Silicone strap fits Apple Watch Series 9 45mm", "watches/straps", 19, 49),
    ("AirPods Pro 2 专用 保护套 硅胶", "electronics/cases", 12, 35),
    ("适用戴森 V15 吸尘器 滤网 配件", "home/appliance-parts", 29, 79),
    ("Replacement filter for Dyson V15 Detect", "home/appliance-parts", 35, 89),
    ("适用索尼 WH-1000XM5 耳机套 替换海绵", "electronics/accessories", 19, 49),
    ("Camera lens protector for iPhone 16 Pro", "electronics/accessories", 9, 25),
    ("Case compatible with Samsung Galaxy Z Flip6", "electronics/cases", 25, 69),
    ("For iPhone 16 clear case, anti-yellowing", "electronics/cases", 15, 45),
    ("適用蘋果 iPhone 16 手機殼", "electronics/cases", 19, 59),
    ("MacBook Air 13 M3 专用 保护壳 磨砂", "electronics/cases", 49, 119),
)
"""Third-party accessories that name the brand they fit: title, category, CNY range."""
ACCESSORY_MAKERS: Final = ("ESR", "Baseus", "UGREEN", "Nillkin", "Spigen", "倍思", "绿联", None)

JERSEYS: Final[dict[str, tuple[str, ...]]] = {
    "Adidas": (
        "Adidas Real Madrid 24/25 home replica jersey",
        "Adidas Arsenal 24/25 away replica shirt",
        "Adidas 阿森纳 24/25 主场 球迷版 replica 球衣",
        "Adidas Juventus 24/25 home replica kit",
    ),
    "Nike": (
        "Nike England 2024 home stadium replica jersey",
        "Nike FC Barcelona 24/25 home replica kit",
        "Nike 巴萨 24/25 主场 球衣 replica 球迷版",
        "Nike Brazil 2024 home replica shirt",
    ),
    "Puma": (
        "Puma Manchester City 24/25 home replica jersey",
        "Puma AC Milan 24/25 home replica shirt, fan version",
    ),
}
"""Official fan versions of football kits, which the industry calls "replica"."""
JERSEY_LINES: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    "Adidas": (("Adidas", "apparel/jerseys"), ("Adidas", "shoes/sneakers")),
    "Nike": (("Nike", "apparel/jerseys"), ("Nike", "shoes/sneakers")),
    "Puma": (("Puma", "apparel/jerseys"), ("Puma", "shoes/sneakers")),
}
FAKE_JERSEYS: Final = (
    "Real Madrid 24/25 home replica jersey, top quality",
    "Arsenal 24/25 replica shirt thai version",
    "巴萨 24/25 主场 replica 球衣 泰版",
    "England 2024 home replica jersey, wholesale",
    "Manchester City 24/25 replica kit, fast shipping",
)
"""Counterfeit kits: the same name, no authorisation, a fraction of the price."""
FOR_FAKES: Final[tuple[tuple[str, str, str], ...]] = (
    ("Apple", "electronics/audio", "适用苹果 AirPods Pro 2 蓝牙耳机 全新"),
    ("Apple", "electronics/audio", "Earbuds for Apple AirPods Pro 2 fans, sealed"),
    ("Dyson", "home/appliances", "Compatible with Dyson V15 Detect cordless vacuum, brand new"),
    ("Dyson", "home/appliances", "适用戴森 Supersonic 吹风机 全新"),
    ("Nike", "shoes/sneakers", "For Nike Dunk Low fans, new with box"),
    ("Lego", "toys/building", "兼容乐高 Lego Technic Porsche 911 GT3 RS 全套"),
)
"""Fakes that say what they are "for", listed in the category of the real thing."""


def disguise(text: str, rng: random.Random) -> str:
    """``text`` as an evasive seller might type it: full width or upper case, now and then."""
    roll = rng.random()
    if roll < 0.12:
        return full_width(text)
    if roll < 0.2:
        return text.upper()
    return text


class DisclaimerStore(Scenario):
    """Genuine branded goods at normal prices, promising "no replicas" in many ways."""

    name = DISCLAIMER_STORE
    label = "legit"
    band: ClassVar[tuple[float, float]] = (0.85, 1.05)

    def shop(self, ctx: SellerContext) -> Shop:
        rng = ctx.rng
        line = rng.choice(STORE_LINES)
        authorised = rng.random() < 0.6
        return Shop(
            region=rng.choice(ORDINARY_CITIES),
            utc8=rng.random() < 0.5,
            age_days=rng.uniform(200, 3000),
            authorized=tuple(dict.fromkeys(b for b, _ in line)) if authorised else (),
            initial_listings=rng.randint(6, 14),
            listings_per_day=rng.uniform(1, 4),
            orders_per_day=rng.uniform(6, 18),
            refund_rate=rng.uniform(0.01, 0.03),
            branded=line,
        )

    def product(self, ctx: SellerContext, shop: Shop) -> Product:
        rng = ctx.rng
        brand, category = rng.choice(shop.branded)
        pool = DISGUISED_DISCLAIMERS if rng.random() < 0.15 else DISCLAIMERS
        promise = disguise(rng.choice(pool), rng)
        model = rng.choice(MODELS[(brand, category)])
        in_title = rng.random() < 0.6
        return self.branded_product(
            ctx,
            brand,
            category,
            self.band,
            f"{model} {promise}" if in_title else model,
            rng.randint(3, 40),
            brand=brand,
            description=(
                f"{rng.choice(DISCLAIMERS)}。 Invoice included."
                if not in_title or rng.random() < 0.4
                else "Invoice included, 7-day returns."
            ),
        )


class CompatibleAccessories(Scenario):
    """A young shop selling third-party accessories "for iPhone" and the like, in bulk."""

    name = COMPATIBLE_ACCESSORIES
    label = "legit"

    def shop(self, ctx: SellerContext) -> Shop:
        rng = ctx.rng
        return Shop(
            region=rng.choice((SHENZHEN, SHENZHEN, DONGGUAN, *ORDINARY_CITIES)),
            utc8=rng.random() < 0.5,
            age_days=rng.uniform(1, 25),
            initial_listings=rng.randint(6, 14),
            listings_per_day=rng.uniform(1, 4),
            orders_per_day=rng.uniform(8, 25),
            refund_rate=rng.uniform(0.01, 0.04),
        )

    def product(self, ctx: SellerContext, shop: Shop) -> Product:
        rng = ctx.rng
        title, category, low, high = rng.choice(ACCESSORIES)
        return Product(
            title=disguise(title, rng) if rng.random() < 0.3 else title,
            category=category,
            cny=float(rng.randint(low, high)) - 0.1,
            brand=rng.choice(ACCESSORY_MAKERS),
            description=rng.choice(
                (
                    "Third-party accessory, not made by the phone's maker. Bulk orders welcome.",
                    "工厂直供 大量现货 支持批发",
                    "Fits as listed; check your model before ordering.",
                )
            ),
            quantity=rng.randint(150, 2000),
        )

    def order_quantity(self, rng: random.Random, shop: Shop) -> int:
        return rng.choices((1, 2, 5, 10), weights=(60, 25, 10, 5))[0]


class YoungAuthorisedShop(Scenario):
    """A brand's newly opened authorised shop: days old, large stock, normal prices."""

    name = YOUNG_AUTHORISED_SHOP
    label = "legit"
    band: ClassVar[tuple[float, float]] = (0.88, 1.03)

    def shop(self, ctx: SellerContext) -> Shop:
        rng = ctx.rng
        line = rng.choice(STORE_LINES)
        brands = {b for b, _ in line}
        if brands & {"Nike", "Adidas", "Air Jordan", "New Balance", "Puma"} and rng.random() < 0.5:
            region = rng.choice((JINJIANG, PUTIAN, XIAMEN))  # sports goods in Fujian
        elif any(c.startswith("electronics") for _, c in line) and rng.random() < 0.5:
            region = SHENZHEN
        else:
            region = rng.choice(ORDINARY_CITIES)
        return Shop(
            region=region,
            utc8=rng.random() < 0.5,
            age_days=rng.uniform(1, 20),
            authorized=tuple(dict.fromkeys(b for b, _ in line)),
            initial_listings=rng.randint(8, 16),
            listings_per_day=rng.uniform(1, 4),
            orders_per_day=rng.uniform(10, 30),
            refund_rate=rng.uniform(0.01, 0.03),
            branded=line,
        )

    def product(self, ctx: SellerContext, shop: Shop) -> Product:
        rng = ctx.rng
        brand, category = rng.choice(shop.branded)
        suffix = rng.choice(
            ("official store", "官方授权店 新店开业", "authorised retailer", "正品 现货")
        )
        return self.branded_product(
            ctx,
            brand,
            category,
            self.band,
            f"{rng.choice(MODELS[(brand, category)])} {suffix}",
            rng.randint(150, 900),
            brand=brand,
            description=f"Newly opened authorised {brand} shop. Invoice and warranty included.",
        )


class ReplicaKitRetailer(Scenario):
    """An authorised sports retailer selling official "replica" (fan version) football kits."""

    name = REPLICA_KIT_RETAILER
    label = "legit"
    band: ClassVar[tuple[float, float]] = (0.85, 1.05)

    def shop(self, ctx: SellerContext) -> Shop:
        rng = ctx.rng
        maker = rng.choice(tuple(JERSEY_LINES))
        region, currency, foreign = rng.choice(ORDINARY_CITIES), "CNY", 0.0
        if rng.random() < 0.2:
            (region, currency), foreign = rng.choice(FOREIGN_STORES), 1.0
        return Shop(
            region=region,
            currency=currency,
            foreign_share=foreign,
            utc8=region[0] == "CN" and rng.random() < 0.5,
            age_days=rng.uniform(200, 3000),
            authorized=(maker,),
            initial_listings=rng.randint(8, 16),
            listings_per_day=rng.uniform(1, 4),
            orders_per_day=rng.uniform(8, 20),
            refund_rate=rng.uniform(0.01, 0.03),
            branded=JERSEY_LINES[maker],
        )

    def product(self, ctx: SellerContext, shop: Shop) -> Product:
        rng = ctx.rng
        brand, category = shop.branded[0] if rng.random() < 0.8 else shop.branded[1]
        if category == "apparel/jerseys":
            title = rng.choice(JERSEYS[brand])
            description = rng.choice(
                (
                    "Official replica jersey (fan version) from an authorised retailer.",
                    "官方授权 球迷版 replica 球衣 正品",
                    "Replica = the official fan version of the kit. Invoice included.",
                )
            )
        else:
            title = f"{rng.choice(MODELS[(brand, category)])} authorised retailer"
            description = f"Authorised {brand} retailer. Invoice included."
        return self.branded_product(
            ctx,
            brand,
            category,
            self.band,
            title,
            rng.randint(10, 120),
            brand=brand,
            description=description,
        )


class DisclaimerAbuse(Scenario):
    """Fakes at 8-25% of reference behind disclaimers, some using another term beside them."""

    name = DISCLAIMER_ABUSE
    label = "fraud"
    band: ClassVar[tuple[float, float]] = (0.08, 0.25)

    def shop(self, ctx: SellerContext) -> Shop:
        rng = ctx.rng
        sneakers = rng.random() < 0.5
        return Shop(
            region=rng.choice((PUTIAN, JINJIANG))
            if sneakers
            else rng.choice((GUANGZHOU, SHENZHEN)),
            utc8=rng.random() < 0.6,
            age_days=rng.uniform(30, 600),
            initial_listings=rng.randint(5, 12),
            listings_per_day=rng.uniform(1.5, 5),
            orders_per_day=rng.uniform(6, 15),
            update_p=0.1,
            remove_p=0.1,
            refund_rate=0.05,
            counterfeit_share=0.5,
            branded=SNEAKERS if sneakers else LUXURY_BAGS,
        )

    def product(self, ctx: SellerContext, shop: Shop) -> Product:
        rng = ctx.rng
        brand, category = rng.choice(shop.branded)
        promise = rng.choice(ABUSED_DISCLAIMERS)
        return self.branded_product(
            ctx,
            brand,
            category,
            self.band,
            f"{rng.choice(MODELS[(brand, category)])} {disguise(promise, rng)}",
            rng.randint(20, 200),
            brand=brand if rng.random() < 0.8 else None,
            description=rng.choice(DISCLAIMERS),
        )


class CompatibilityAbuse(Scenario):
    """A young shop listing fakes as what they are "for", in their real category, in bulk."""

    name = COMPATIBILITY_ABUSE
    label = "fraud"
    band: ClassVar[tuple[float, float]] = (0.05, 0.30)

    def shop(self, ctx: SellerContext) -> Shop:
        rng = ctx.rng
        return Shop(
            region=rng.choice((SHENZHEN, GUANGZHOU, *ORDINARY_CITIES[:6])),
            utc8=rng.random() < 0.5,
            age_days=rng.uniform(1, 10),
            initial_listings=rng.randint(6, 12),
            listings_per_day=rng.uniform(1, 4),
            orders_per_day=rng.uniform(6, 15),
            refund_rate=0.06,
            counterfeit_share=0.5,
            brushing_share=0.2,
        )

    def product(self, ctx: SellerContext, shop: Shop) -> Product:
        rng = ctx.rng
        brand, category, title = rng.choice(FOR_FAKES)
        return self.branded_product(
            ctx,
            brand,
            category,
            self.band,
            title,
            rng.randint(100, 800),
            brand=None,
            description="Large stock, wholesale welcome.",
        )


class FakeReplicaJerseys(Scenario):
    """Counterfeit football kits called "replica jerseys", unauthorised, at 8-25% of reference."""

    name = FAKE_REPLICA_JERSEYS
    label = "fraud"
    band: ClassVar[tuple[float, float]] = (0.08, 0.25)

    def shop(self, ctx: SellerContext) -> Shop:
        rng = ctx.rng
        return Shop(
            region=rng.choice((GUANGZHOU, PUTIAN, DONGGUAN, *ORDINARY_CITIES[:4])),
            utc8=rng.random() < 0.6,
            age_days=rng.uniform(30, 500),
            initial_listings=rng.randint(6, 12),
            listings_per_day=rng.uniform(1.5, 4),
            orders_per_day=rng.uniform(6, 16),
            refund_rate=0.05,
            counterfeit_share=0.4,
        )

    def product(self, ctx: SellerContext, shop: Shop) -> Product:
        rng = ctx.rng
        maker = rng.choice(tuple(JERSEYS))
        return self.branded_product(
            ctx,
            maker,
            "apparel/jerseys",
            self.band,
            rng.choice(FAKE_JERSEYS),
            rng.randint(30, 300),
            brand=maker if rng.random() < 0.7 else None,
            description=rng.choice(("Thai quality, all sizes.", "泰版 球迷版 批发", "")) or None,
        )


# Groups: gangs that hide behind each other, and honest groups that look alike ----

CHAIN_KINDS: Final = ("phone", "payout", "tracking")
"""What ties each shop of a chain gang to the next, in turn."""
RESELLER_CITIES: Final = (WUHAN, CHENGDU, XIAN, SHENYANG, HEFEI, CHANGSHA, ZHENGZHOU, KUNMING)
"""Where an upstream supplier's resellers are registered: one province each."""
PLAIN_SUFFIXES: Final = (
    "brand new, sealed",
    "in stock, ships today",
    "fast shipping",
    "全新正品 顺丰包邮",
    "",
)


def chain_tells(size: int) -> frozenset[int]:
    """Positions of the few shops of a chain gang of ``size`` with a tell of their own."""
    count = min(size, max(3, size // 8))
    return frozenset(int((number + 0.5) * size / count) for number in range(count))


def group_pick(ctx: SellerContext, options: int) -> int:
    """A choice shared by every member of the seller's group (0 to ``options - 1``)."""
    return int(digest(ctx.seed, ctx.ring or ctx.seller_id)[:8], 16) % options


class ChainGang(Scenario):
    """A gang of dozens of memory shops across a dozen provinces, linked in a chain.

    Shop k shares one hard identifier with shop k+1 only: a phone, a payout
    account, or tracking numbers both of them ship some orders with, in turn.
    No identifier is shared by more than two shops, none by all. Most shops
    look like ordinary dealers (55-85% of reference, plain wording, old
    accounts, few complaints); only a few (:func:`chain_tells`) sell at 1-8%
    of reference, the tell of the fake Samsung memory gang of ``DOMAIN.md``.
    """

    name = CHAIN_GANG
    label = "fraud"
    clean: ClassVar[tuple[float, float]] = (0.55, 0.85)
    tell: ClassVar[tuple[float, float]] = (0.01, 0.08)

    @staticmethod
    def telling(ctx: SellerContext) -> bool:
        """Whether this shop is one of the few with a tell of its own."""
        return ctx.position in chain_tells(max(1, len(ctx.ring_members)))

    def shop(self, ctx: SellerContext) -> Shop:
        rng = ctx.rng
        position, size = ctx.position, len(ctx.ring_members)
        ring = ctx.ring or ctx.seller_id
        owners: list[tuple[str, str]] = []
        pools: list[str] = []
        for link in (position - 1, position):  # link j ties shop j to shop j + 1
            if not 0 <= link < size - 1:
                continue
            kind, key = CHAIN_KINDS[link % len(CHAIN_KINDS)], f"{ring}/link{link}"
            if kind == "tracking":
                pools.append(key)
            else:
                owners.append((kind, key))
        telling = self.telling(ctx)
        return Shop(
            region=PROVINCES[(position + group_pick(ctx, len(PROVINCES))) % len(PROVINCES)],
            utc8=rng.random() < 0.5,
            age_days=rng.uniform(200, 2000),
            initial_listings=rng.randint(4, 10),
            listings_per_day=rng.uniform(1, 3),
            orders_per_day=rng.uniform(6, 14),
            refund_rate=0.06 if telling else 0.03,
            counterfeit_share=0.4 if telling else 0.1,
            owners=tuple(owners),
            tracking_pools=tuple(pools),
            tracking_share=0.4 if pools else 0.0,
            branded=MEMORY_STORAGE,
        )

    def product(self, ctx: SellerContext, shop: Shop) -> Product:
        rng = ctx.rng
        brand, category = rng.choice(shop.branded)
        title = f"{rng.choice(MODELS[(brand, category)])} {rng.choice(PLAIN_SUFFIXES)}".strip()
        telling = self.telling(ctx)
        return self.branded_product(
            ctx,
            brand,
            category,
            self.tell if telling else self.clean,
            title,
            rng.randint(100, 600) if telling else rng.randint(10, 60),
            brand=brand,
            description="Genuine product, full capacity, tested before shipping.",
        )


class SupplierResellers(Scenario):
    """An upstream Putian supplier of fake Air Jordans and its resellers in five provinces.

    The supplier (its group's first member) lists replicas with replica wording
    and sells 60% of its orders, 20-60 pairs at a time, to its resellers in turn
    (their seller ids as buyer ids), each of whom buys again and again. The resellers
    relist the same brand from their own provinces at 15-45% of reference, in
    plain words: linked to the supplier only by what they buy and list.
    """

    name = SUPPLIER_RESELLERS
    label = "fraud"
    brand: ClassVar[tuple[str, str]] = ("Air Jordan", "shoes/sneakers")
    supplier_band: ClassVar[tuple[float, float]] = (0.08, 0.20)
    reseller_band: ClassVar[tuple[float, float]] = (0.15, 0.45)

    def shop(self, ctx: SellerContext) -> Shop:
        rng = ctx.rng
        if ctx.position == 0:
            return Shop(
                region=PUTIAN,
                utc8=rng.random() < 0.7,
                age_days=rng.uniform(100, 600),
                initial_listings=rng.randint(5, 10),
                listings_per_day=rng.uniform(1, 3),
                orders_per_day=rng.uniform(18, 26),
                refund_rate=0.05,
                counterfeit_share=0.5,
                resale_share=0.6 if len(ctx.ring_members) > 1 else 0.0,
                resale_in_turn=True,
                branded=(self.brand,),
            )
        start = group_pick(ctx, len(RESELLER_CITIES))
        return Shop(
            region=RESELLER_CITIES[(start + ctx.position) % len(RESELLER_CITIES)],
            utc8=rng.random() < 0.5,
            age_days=rng.uniform(60, 900),
            initial_listings=rng.randint(3, 8),
            listings_per_day=rng.uniform(0.5, 2),
            orders_per_day=rng.uniform(4, 10),
            refund_rate=0.05,
            counterfeit_share=0.3,
            branded=(self.brand,),
        )

    def product(self, ctx: SellerContext, shop: Shop) -> Product:
        rng = ctx.rng
        brand, category = self.brand
        model = rng.choice(MODELS[(brand, category)])
        if ctx.position == 0:
            terms = " ".join(rng.sample(VOCAB_SNEAKERS, rng.randint(1, 2)))
            return self.branded_product(
                ctx,
                brand,
                category,
                self.supplier_band,
                f"{model} {terms} 莆田直发",
                rng.randint(100, 400),
                brand=brand,
                description="莆田工厂直发 批发代发 一件起批",
            )
        return self.branded_product(
            ctx,
            brand,
            category,
            self.reseller_band,
            f"{model} {rng.choice(PLAIN_SUFFIXES)}".strip(),
            rng.randint(10, 50),
            brand=brand,
            description="All sizes in stock. Ships within 24 hours.",
        )

    def order_quantity(self, rng: random.Random, shop: Shop) -> int:
        return rng.choices((1, 2), weights=(90, 10))[0]


class HonestFranchise(AuthorisedStore):
    """Authorised stores of one brand run as a franchise: one payout account for all."""

    name = HONEST_FRANCHISE
    label = "legit"

    def shop(self, ctx: SellerContext) -> Shop:
        rng = ctx.rng
        line = STORE_LINES[group_pick(ctx, len(STORE_LINES))]
        region = rng.choice(ORDINARY_CITIES)
        return Shop(
            region=region,
            utc8=rng.random() < 0.5,
            age_days=rng.uniform(300, 3500),
            authorized=tuple(dict.fromkeys(brand for brand, _ in line)),
            initial_listings=rng.randint(8, 18),
            listings_per_day=rng.uniform(1, 3),
            orders_per_day=rng.uniform(8, 22),
            refund_rate=rng.uniform(0.01, 0.03),
            links=("payout",),
            branded=line,
        )


class AgencyShops(GenericGoods):
    """Honest shops an agency runs for their owners, all from the agency's one device."""

    name = AGENCY_SHOPS
    label = "legit"

    def shop(self, ctx: SellerContext) -> Shop:
        return replace(super().shop(ctx), links=("device",))


class FulfilmentWarehouse(GenericGoods):
    """Honest shops whose returns go to one fulfilment warehouse: hundreds share its address."""

    name = FULFILMENT_WAREHOUSE
    label = "legit"

    def shop(self, ctx: SellerContext) -> Shop:
        return replace(super().shop(ctx), links=("return_address",))


SCENARIOS: Final[dict[str, Scenario]] = {
    scenario.name: scenario
    for scenario in (
        SneakerRing(),
        LuxuryBagsObfuscated(),
        ElectronicsNoWords(),
        YoungBulkUnauthorised(),
        RefundDisputesOnly(),
        DispatchMismatch(),
        AuthorisedStore(),
        HonestSale(),
        UsedRefurbished(),
        GenericGoods(),
        HotspotOrdinary(),
        ViralSeller(),
        DisclaimerAbuse(),
        CompatibilityAbuse(),
        FakeReplicaJerseys(),
        DisclaimerStore(),
        CompatibleAccessories(),
        YoungAuthorisedShop(),
        ReplicaKitRetailer(),
        ChainGang(),
        SupplierResellers(),
        HonestFranchise(),
        AgencyShops(),
        FulfilmentWarehouse(),
    )
}
"""Every scenario by name."""


# The engine ---------------------------------------------------------------------

_PRICE, _RESTOCK, _REMOVE, _ORDER, _VIRAL = range(5)


_Step: TypeAlias = tuple[int, int, int, "Listing | None"]
"""One scheduled happening of a seller's timeline: second, sequence, kind, listing."""


class _SellerRun:
    """Plays one seller's scenario over the simulated period."""

    def __init__(self, scenario: Scenario, ctx: SellerContext) -> None:
        self.scenario = scenario
        self.ctx = ctx
        self.rng = ctx.rng
        self.shop = scenario.shop(ctx)
        self.drafts: list[tuple[int, int, str, Event]] = []
        self.listings: list[Listing] = []
        """Listings not removed yet."""
        self.listed = 0
        self.timeline: list[_Step] = []
        self.steps = 0
        self.orders = 0
        self.resales = 0
        self.hit: Listing | None = None
        self.order_hours = _hour_weights(ctx.start, ORDER_HOURS_CST)
        self.listing_hours = _hour_weights(ctx.start, LISTING_HOURS_CST)
        rng = self.rng
        pool = ctx.buyer_pool
        self.regulars = [rng.randrange(pool) for _ in range(rng.randint(10, 30))]
        self.brushers = [rng.randrange(pool) for _ in range(rng.randint(3, 5))]
        self.ship_from = location(self.shop.ship_from)

    # Events --------------------------------------------------------------------

    def stamp(self, second: int) -> str:
        """RFC 3339 text of a second of the period, in UTC or China Standard Time."""
        moment = self.ctx.start + timedelta(seconds=second)
        if self.shop.utc8:
            return moment.astimezone(CST).isoformat(timespec="seconds")
        return moment.isoformat(timespec="seconds").replace("+00:00", "Z")

    def emit(self, second: int, stream: str, event: Event) -> None:
        """Record an event, giving it its id and time."""
        number = len(self.drafts)
        event["event_id"] = f"{self.ctx.seller_id}-e{number:06d}"
        event["event_time"] = self.stamp(second)
        self.drafts.append((second, number, stream, event))

    def schedule(self, at: int, kind: int, listing: Listing | None = None) -> None:
        """Put a step on the timeline if it falls within the period."""
        if 0 <= at < self.ctx.duration:
            self.steps += 1
            heapq.heappush(self.timeline, (at, self.steps, kind, listing))

    def moment_in_day(self, day: int, cumulative: list[float]) -> int:
        """A second of ``day`` drawn by hour of day."""
        hour = self.rng.choices(range(24), cum_weights=cumulative)[0]
        return day * DAY + hour * HOUR + self.rng.randrange(HOUR)

    # Listings ------------------------------------------------------------------

    def listing_event(self, listing: Listing, event_type: str) -> Event:
        """The ListingEvent of ``listing`` as it currently stands."""
        product = listing.product
        event: Event = {
            "schema_version": 1,
            "event_id": "",
            "event_type": event_type,
            "event_time": "",
            "listing_id": listing.listing_id,
            "seller_id": self.ctx.seller_id,
            "title": product.title,
        }
        if product.description is not None:
            event["description"] = product.description
        if product.brand is not None:
            event["brand"] = product.brand
        event["category"] = product.category
        event["price"] = listing.price
        event["currency"] = listing.currency
        event["quantity"] = listing.stock
        event["condition"] = product.condition
        event["ship_from"] = self.ship_from
        if product.image_text is not None:
            event["image_text"] = product.image_text
        return event

    def create_listing(self, at: int, first: bool = False) -> Listing:
        """List a new product at second ``at`` and plan its updates and removal."""
        rng, shop = self.rng, self.shop
        product = self.scenario.product(self.ctx, shop)
        currency = shop.currency if rng.random() < shop.foreign_share else "CNY"
        listing = Listing(
            listing_id=f"{self.ctx.seller_id}-L{self.listed + 1:05d}",
            product=product,
            created=at,
            currency=currency,
            cny=product.cny,
            price=self.ctx.catalog.to_currency(product.cny, currency),
            stock=product.quantity,
            weight=rng.paretovariate(1.3),
        )
        self.listings.append(listing)
        self.listed += 1
        event = self.listing_event(listing, "listing_created")
        if first:
            event["seller"] = self.profile()
        self.emit(at, "listings", event)
        if rng.random() < shop.update_p:
            self.schedule(at + rng.randint(HOUR, 3 * DAY), _PRICE, listing)
        if rng.random() < shop.remove_p:
            self.schedule(at + rng.randint(2 * HOUR, 4 * DAY), _REMOVE, listing)
        return listing

    def profile(self) -> Event:
        """The SellerProfile sent with the seller's first listing."""
        ctx, shop = self.ctx, self.shop
        ring = ctx.ring or ctx.seller_id

        def hashed(prefix: str, kind: str) -> str:
            owner = dict(shop.owners).get(kind) or (ring if kind in shop.links else ctx.seller_id)
            return f"{prefix}-{digest(ctx.seed, kind, owner)}"

        registered = -round(shop.age_days * DAY)
        return {
            "registered_at": self.stamp(registered),
            "registered_region": location(shop.region),
            "authorized_brands": list(shop.authorized),
            "phone_hash": hashed("ph", "phone"),
            "payout_account_hash": hashed("pa", "payout"),
            "device_hash": hashed("dv", "device"),
            "return_address_hash": hashed("ra", "return_address"),
        }

    # Orders --------------------------------------------------------------------

    def buyer(self, viral: bool, viral_buyers: list[int]) -> tuple[str, bool]:
        """A buyer id for the next order, and whether it is a ring member reselling."""
        rng, shop, ctx = self.rng, self.shop, self.ctx
        if viral and viral_buyers:
            return ctx.buyer(viral_buyers.pop()), False
        others = [member for member in ctx.ring_members if member != ctx.seller_id]
        if others and rng.random() < shop.resale_share:
            if shop.resale_in_turn:
                self.resales += 1
                return others[self.resales % len(others)], True
            return rng.choice(others), True
        roll = rng.random()
        if roll < shop.brushing_share:
            return ctx.buyer(rng.choice(self.brushers)), False
        if roll < shop.brushing_share + shop.regular_share:
            return ctx.buyer(rng.choice(self.regulars)), False
        return ctx.buyer(rng.randrange(ctx.buyer_pool)), False

    def place_order(self, at: int, viral: bool, viral_buyers: list[int]) -> None:
        """Place one order at ``at`` on an active listing, with its complaint if any."""
        rng, shop, ctx = self.rng, self.shop, self.ctx
        if viral and self.hit is not None and self.hit.active and self.hit.stock > 0:
            listing = self.hit
        else:
            active = [
                item
                for item in self.listings
                if item.active and item.stock > 0 and item.created + MINUTE <= at
            ]
            if not active:
                return
            listing = rng.choices(active, weights=[item.weight for item in active])[0]
        buyer, resale = self.buyer(viral, viral_buyers)
        quantity = rng.randint(20, 60) if resale else self.scenario.order_quantity(rng, shop)
        quantity = min(quantity, listing.stock)
        self.orders += 1
        order_id = f"{ctx.seller_id}-O{self.orders:06d}"
        tracking = f"tk-{digest(ctx.seed, order_id)}"
        if shop.tracking_pools and rng.random() < shop.tracking_share:
            pool = rng.choice(shop.tracking_pools)
            tracking = f"tk-{digest(ctx.seed, pool, rng.randrange(TRACKING_POOL))}"
        event: Event = {
            "schema_version": 1,
            "event_id": "",
            "event_type": "order_placed",
            "event_time": "",
            "order_id": order_id,
            "listing_id": listing.listing_id,
            "seller_id": ctx.seller_id,
            "buyer_id": buyer,
            "quantity": quantity,
            "unit_price": listing.price,
            "currency": listing.currency,
            "ship_from": location(rng.choice(shop.dispatch_points)),
            "ship_to": location(self.buyer_city(buyer)),
            "tracking_hash": tracking,
        }
        self.emit(at, "orders", event)
        listing.stock -= quantity
        if listing.stock <= 0:
            if shop.restock:
                self.schedule(at + rng.randint(HOUR, 8 * HOUR), _RESTOCK, listing)
            else:
                self.schedule(at + rng.randint(5 * MINUTE, 2 * HOUR), _REMOVE, listing)
        complaint = self.scenario.complaint(rng, shop, at / ctx.duration)
        if complaint is not None:
            kind, reason, delay = complaint
            when = at + delay
            if when < ctx.duration:
                self.emit(
                    when,
                    "orders",
                    {
                        "schema_version": 1,
                        "event_id": "",
                        "event_type": kind,
                        "event_time": "",
                        "order_id": order_id,
                        "listing_id": listing.listing_id,
                        "seller_id": ctx.seller_id,
                        "buyer_id": buyer,
                        "reason": reason,
                    },
                )

    @staticmethod
    @lru_cache(maxsize=65_536)
    def buyer_city(buyer: str) -> Loc:
        """Where a buyer lives (fixed per buyer id)."""
        return BUYER_CITIES[int(digest(buyer)[:6], 16) % len(BUYER_CITIES)]

    # The run -------------------------------------------------------------------

    def run(self) -> list[Draft]:
        """Generate the seller's events, sorted by arrival time."""
        rng, shop, ctx = self.rng, self.shop, self.ctx
        duration = ctx.duration
        opening = min(6 * HOUR, duration)
        firsts = sorted(rng.randrange(opening) for _ in range(max(1, shop.initial_listings)))
        for number, at in enumerate(firsts):
            self.create_listing(at, first=number == 0)
        for day in range(ctx.days):
            for _ in range(poisson(rng, shop.listings_per_day)):
                at = self.moment_in_day(day, self.listing_hours)
                if firsts[0] < at < duration:
                    self.create_listing(at)
            for _ in range(poisson(rng, shop.orders_per_day)):
                self.schedule(self.moment_in_day(day, self.order_hours), _ORDER)
        viral_buyers: list[int] = []
        if shop.viral_day is not None:
            begin = shop.viral_day * DAY + rng.randint(0, 2 * HOUR)
            if firsts[0] < begin < duration:
                self.hit = self.create_listing(begin)
                self.hit.stock = max(self.hit.stock, 300)
                extra = poisson(rng, shop.orders_per_day * (shop.viral_factor - 1))
                extra = min(extra, ctx.buyer_pool)
                viral_buyers = rng.sample(range(ctx.buyer_pool), extra)
                for _ in range(extra):
                    self.schedule(begin + MINUTE + rng.randrange(20 * HOUR), _VIRAL)
        self.play(viral_buyers)
        return self.arrivals()

    def play(self, viral_buyers: list[int]) -> None:
        """Process the timeline in time order."""
        rng = self.rng
        while self.timeline:
            at, _, kind, listing = heapq.heappop(self.timeline)
            if kind in (_ORDER, _VIRAL):
                self.place_order(at, kind == _VIRAL, viral_buyers)
            elif listing is None or not listing.active:
                continue
            elif kind == _PRICE:
                listing.cny = self.scenario.reprice(rng, listing)
                listing.price = self.ctx.catalog.to_currency(listing.cny, listing.currency)
                self.emit(at, "listings", self.listing_event(listing, "listing_updated"))
            elif kind == _RESTOCK:
                listing.stock = max(listing.product.quantity, 1) + (300 if listing.hit else 0)
                self.emit(at, "listings", self.listing_event(listing, "listing_updated"))
            else:  # _REMOVE
                listing.active = False
                self.listings.remove(listing)
                self.emit(
                    at,
                    "listings",
                    {
                        "schema_version": 1,
                        "event_id": "",
                        "event_type": "listing_removed",
                        "event_time": "",
                        "listing_id": listing.listing_id,
                        "seller_id": self.ctx.seller_id,
                    },
                )

    def arrivals(self) -> list[Draft]:
        """Give each event its arrival second (a few late), sorted by arrival."""
        rng, ctx = self.rng, self.ctx
        out: list[Draft] = []
        for second, number, stream, event in self.drafts:
            arrival = second
            # The profile-carrying first listing (number 0) is never late.
            if number and ctx.late_fraction and rng.random() < ctx.late_fraction:
                arrival += rng.randint(1, MAX_LATENESS)
            out.append((arrival, ctx.index, number, stream, event))
        out.sort()
        return out


def play_seller(scenario: str | Scenario, ctx: SellerContext) -> list[Draft]:
    """Generate one seller's events over the simulated period.

    Args:
        scenario: A scenario or its name (one of :data:`ALL_SCENARIOS`).
        ctx: The seller's context.

    Returns:
        ``(arrival_second, seller_index, number, stream, event)`` tuples sorted by
        arrival; seconds count from the simulation start.
    """
    chosen = SCENARIOS[scenario] if isinstance(scenario, str) else scenario
    return _SellerRun(chosen, ctx).run()
