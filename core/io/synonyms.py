"""The names each field goes by: the pseudo-fields (place, category, price) and the synonym
tables (English and Chinese) that :mod:`core.io.columns` matches column names against, in
addition to ``core.schema.SYNONYMS`` (schema owns the shared list)."""

from __future__ import annotations

from typing import Final

from core import schema
from core.schema import CANONICAL, EVENT, ITEM, ITEM_TEXT, LAT, LON, TS, TZ_OFFSET, USER, WEIGHT

#: Pseudo-field for a place-name column resolved to coordinates.
PLACE: Final = "place"
#: Pseudo-field for an item category (kept as the events' ``category`` column).
CATEGORY: Final = schema.CATEGORY
#: Pseudo-field for an item price (catalogue).
PRICE: Final = "price"
#: Fields an explicit events mapping may name.
MAPPABLE: Final = (*CANONICAL, PLACE, CATEGORY)
#: Fields an explicit catalogue mapping may name (``item_text`` may be given several times).
CATALOGUE_FIELDS: Final = (ITEM, ITEM_TEXT, CATEGORY, LAT, LON, PRICE)

#: Names recognised in addition to ``core.schema.SYNONYMS`` (schema owns the shared list).
EXTRA_SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    USER: (
        "user_name",
        "username",
        "userid_hash",
        "reviewer_id",
        "reviewerid",
        "viewer_id",
        "用户",
        "用户id",
        "用户编号",
        "用户名",
        "会员",
        "会员id",
        "会员编号",
        "客户",
        "客户id",
        "客户编号",
        "顾客",
        "买家",
        "买家id",
        "访客",
    ),
    ITEM: (
        "venue",
        "movie",
        "song",
        "track",
        "video_id",
        "post_id",
        "news_id",
        "page",
        "url",
        "商品",
        "商品id",
        "商品编号",
        "商品编码",
        "物品",
        "物品id",
        "产品",
        "产品id",
        "产品编号",
        "宝贝id",
        "sku编号",
        "店铺",
        "地点id",
    ),
    TS: (
        "utc",
        "time_utc",
        "timestamp_ms",
        "ts_ms",
        "event_timestamp",
        "local_time",
        "when",
        "时间",
        "时间戳",
        "日期",
        "下单时间",
        "行为时间",
        "发生时间",
        "创建时间",
        "访问时间",
        "购买时间",
        "签到时间",
        "日期时间",
    ),
    EVENT: (
        "event_name",
        "event_kind",
        "action_type",
        "行为",
        "行为类型",
        "事件",
        "事件类型",
        "操作",
        "动作",
    ),
    WEIGHT: ("ratings", "value_score", "quantity", "qty", "评分", "分数", "打分", "权重", "数量"),
    ITEM_TEXT: (
        "venue_name",
        "brand",
        "subject",
        "headline",
        "标题",
        "名称",
        "商品名称",
        "商品名",
        "物品名称",
        "产品名称",
        "名字",
        "描述",
        "商品描述",
        "类目",
        "品类",
        "类别",
        "分类",
    ),
    LAT: ("venue_lat", "纬度"),
    LON: ("venue_lon", "venue_lng", "经度"),
    TZ_OFFSET: ("timezone_offset_minutes", "tz_min", "offset", "时区偏移"),
}
#: Column names tried for the place field.
PLACE_SYNONYMS: Final = (
    "place",
    "city",
    "location",
    "place_name",
    "city_name",
    "town",
    "locality",
    "municipality",
    "region",
    "venue_city",
    "城市",
    "地区",
    "地址",
    "省份",
    "省",
    "市",
    "区域",
    "所在地",
)
#: Column names tried for the category field.
CATEGORY_SYNONYMS: Final = (
    "category",
    "categories",
    "cat",
    "category_name",
    "venue_category",
    "venuecategory",
    "venue_category_name",
    "genre",
    "genres",
    "类目",
    "品类",
    "类别",
    "分类",
    "商品类目",
)
PRICE_SYNONYMS: Final = ("price", "unit_price", "cost", "价格", "单价", "售价", "金额")
#: Extra names for the id column of an item catalogue.
CATALOGUE_ID_SYNONYMS: Final = ("id", "编号", "编码")
#: Synonyms too generic to match as the tail of a longer name (``venue_type`` is no event type).
NO_TAIL: Final = frozenset(
    {
        "type",
        "value",
        "text",
        "label",
        "owner",
        "person",
        "account",
        "author",
        "offset",
        "page",
        "url",
        "utc",
        "when",
        "amount",
        "score",
    }
)
