"""A generated, reproducible benchmark corpus for ``bench/run.py`` (issue 8).

``generate(root, n, seed)`` writes about ``n`` articles under ``root``:

* local posts in the three formats feedhub reads, shaped like ``config/demo/``:
  ``hexo/`` (front matter, ``<div>`` body with an image box and the outlet's promo /
  editor lines), ``goodnews/dawn1`` and ``goodnews/kz3`` (``### title`` pages wrapped in
  the mirror's nav line, promo headings, share footer and bottom nav; two outlets with
  their own in-page boilerplate: datelines, related-link lists, ads, reprint notices,
  membership promo), ``feedx/_posts`` (Jekyll posts with the feedx timestamp comment,
  title link, date stamp, proxied image and "获取更多RSS" footer);
* feed files: RSS 2.0 (CDATA and entity-escaped descriptions, full text or excerpts)
  and Atom (content + summary, or summary only), in Chinese and English.

The text is pseudo-news generated from word / character pools (no real articles):
Chinese sentences from hand-written word lists plus generated names, places and
organisations; English the same.  Each story has its own entities and numbers.

Planted duplicate groups (about 30 % of the articles), each member a different outlet:

* ``base``    the story's full text;
* ``edit``    a light edit of it: ~4 % of the content words replaced, one number
              changed, one sentence dropped or added, the title sometimes reworded;
* ``wrap``    the same text verbatim, wrapped in another outlet's boilerplate;
* ``excerpt`` the opening paragraph(s) only (a summary-only feed), cut with "……"/"[…]".

Members of a group are dated within 36 h of each other (inside feedhub's default 3-day
window); stories are spread over two weeks.  Ground truth: ``Corpus.truth`` maps
``(source_id, key)`` (key as feedhub computes it: the path relative to the source folder,
or the feed entry's id) to a group id; every other article is its own group.  The same
mapping is written to ``root/truth.json``.

Everything is derived from one ``random.Random(seed)``; no set iteration, no clock,
so the same seed writes byte-identical files.
"""

# ruff: noqa: E501  (long lines are markup templates copied in shape from config/demo/)
from __future__ import annotations

import html
import json
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

SEED = 20261118
START = datetime(2026, 11, 1, tzinfo=UTC)
SPAN_DAYS = 14

# --------------------------------------------------------------------------- pools

ZH_NOUNS = """经济 市场 企业 政府 城市 居民 交通 地铁 港口 码头 医院 学校 学生 教师 农民 粮食
能源 电力 天气 气温 降雨 台风 河流 森林 公园 社区 工厂 工人 项目 工程 资金 投资 出口 进口 贸易
价格 消费 旅游 游客 文化 展览 科技 研究 卫星 火箭 芯片 电池 汽车 高铁 机场 航班 银行 利率 债券
股市 房价 住房 医疗 疫苗 病例 警方 法院 案件 议会 选举 部长 市长 代表 协会 联盟 比赛 冠军 球队
音乐 电影 水库 大坝 桥梁 隧道 公路 管网 供暖 供水 污染 排放 垃圾 渔业 农业 牧场 茶园 果园 仓库
物流 快递 平台 网络 数据 系统 设备 机器人 论文 专利 人口 家庭 老人 儿童 青年 村庄 街道 商场 餐厅
酒店 景区 古镇 海滩 岛屿 山区 草原 冰川 湖泊 航线 集装箱 订单 产能 库存 工资 岗位 社保 税收 预算
财政 补贴 政策 规划 标准 法规 试点 改革 服务 热线 窗口 申请 审批 合同 租金 用户 账户 信号 基站
光纤 电网 风电 光伏 煤炭 天然气 石油 矿山 钢铁 水泥 粮仓 化肥 种子 灌溉 堤坝 渡轮 列车 站台 车厢
乘客 司机 骑手 货车 公交 车道 停车场 充电桩 电梯 屋顶 外墙 窗户 社区医院 药品 诊所 护士 医生 床位
手术 体检 课程 考试 教材 操场 食堂 宿舍 图书 档案 遗址 文物 戏曲 节目 舞台 观众 票房 赛道 跑道
纪录 奖牌 教练 裁判 球场 海关 口岸 关税 汇率 外汇 储备 贷款 存款 保险 基金 股票 指数 期货 报告""".split()

ZH_VERBS = """推进 完成 启动 建设 提升 扩大 降低 增加 减少 公布 发布 宣布 批准 开通 关闭 恢复 调整
实施 部署 签署 举办 参加 支持 鼓励 限制 加强 改善 优化 推出 引进 投入 修复 改造 升级 检查 监测
预测 评估 统计 调查 处理 解决 应对 保障 保护 开发 利用 运营 管理 组织 协调 落实 覆盖 连接 延伸
突破 刷新 打破 达到 超过 低于 回落 上涨 下跌 增长 放缓 反弹 稳定 提醒 呼吁 建议 要求 承诺 透露""".split()

ZH_ADJS = """新 大型 小型 重点 主要 全面 智能 绿色 传统 现代 偏远 沿海 内陆 老旧 高端 基层 公共
临时 长期 短期 稳定 强劲 温和 明显 持续 最新 首批 首个 全新 核心 关键 区域 国际 本地 农村 城区""".split()

ZH_ADVS = "已经 正在 将 逐步 进一步 持续 首次 再次 全面 初步 基本 明显 大幅 小幅 同步 加快".split()

ZH_SAY = "表示 介绍 透露 指出 称 认为 强调 说".split()
ZH_ROLES = "局长 处长 董事长 总经理 研究员 首席分析师 发言人 教授 主任 负责人 院长 工程师".split()
ZH_UNITS = "万元 亿元 公里 吨 人 个 家 辆 平方米 标准箱 千瓦时 套 项 所 座 条".split()
ZH_ORG_SUFFIX = """统计局 气象台 交通局 卫生健康委员会 教育局 港务集团 电力公司 科学院 大学 中级人民法院
生态环境局 文化和旅游局 公安局 农业农村局 商务厅 发展和改革委员会 住房和城乡建设局 应急管理局
水利局 市场监督管理局 人力资源和社会保障局 民政局 财政局 税务局 海关 地铁集团 机场集团 供热公司""".split()
ZH_SURNAMES = list(
    "王李张刘陈杨黄赵周吴徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔向汤"
)
ZH_GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂文辉建华玲红飞鹏宇浩凯婷雪琳晨睿远帆清和可欣书恒正立群思齐怡骁"
)
ZH_PLACE_A = list("云澄海东临北南西青白金石望平安长落碧枫星桐溪松柏梅兰岚川江湖山宁昌德泰")
ZH_PLACE_B = list("港州川岸江山湖岭岚沙门海阳澜汀霞水林河城源宁浦")
ZH_PLACE_SUFFIX = ["省", "市", "县", "区", "镇", ""]
ZH_TIMES = (
    "今年以来 近日 上周 本月初 昨天上午 据了解 截至目前 前三季度 今年前10个月 去年同期".split()
)
ZH_CATEGORIES = "民生 财经 科技 社会 国际 体育 文化 健康 教育 环境".split()

EN_NOUNS = """economy market company government city resident transport railway harbour port hospital
school student teacher farmer grain energy power weather temperature rainfall storm river forest
park community factory worker project budget investment export import trade price consumer tourism
visitor museum exhibition research satellite rocket chip battery vehicle airport flight bank rate bond
housing clinic vaccine police court council election minister mayor association league match champion
team orchestra festival reservoir dam bridge tunnel highway pipeline heating water pollution emission
waste fishery agriculture vineyard orchard warehouse logistics platform network data system robot
laboratory patent population family pensioner children youth village street mall restaurant hotel
island valley coastline glacier lake route container order capacity inventory wage pension tax subsidy
policy plan standard regulation pilot reform service hotline permit contract rent customer account
signal antenna grid turbine solar coal gas mine steel cement fertiliser seed irrigation levee ferry
train platform carriage passenger driver courier truck bus lane charger elevator roof facade pharmacy
nurse doctor surgery course exam textbook playground library archive ruin artefact theatre audience
stadium record medal coach referee customs tariff currency reserve loan deposit insurance fund share
index report survey forecast committee union supplier shipyard refinery telescope probe vessel crew""".split()

EN_VERBS = """approved completed launched built raised expanded lowered increased reduced published
announced opened closed restored adjusted introduced signed hosted joined backed encouraged restricted
strengthened improved delivered imported invested repaired upgraded inspected monitored predicted
assessed surveyed handled resolved protected developed operated managed organised connected extended
broke reached exceeded dropped rose fell slowed rebounded stabilised warned urged proposed promised
revealed doubled halved tripled cancelled delayed postponed resumed tested measured mapped detected""".split()

EN_ADJS = """new large small major regional remote coastal rural urban ageing modern traditional public
temporary long-term short-term stable strong modest sharp steady latest first second key national
local international northern southern eastern western low-lying offshore electric automated
independent preliminary annual quarterly monthly record emergency municipal historic""".split()

EN_ADVS = (
    "sharply slightly steadily quickly gradually finally again already broadly largely".split()
)
EN_SAY = ["said", "added", "noted", "warned", "explained", "argued", "told reporters"]
EN_ROLES = """chief economist, spokesperson, director, professor, senior engineer, researcher,
chief executive, deputy mayor, analyst, head of operations, chair""".replace("\n", " ").split(", ")
EN_ORG_SUFFIX = """Statistics Office, Weather Service, Transport Authority, Health Board, Port Authority,
Power Company, Institute of Oceanography, University, District Court, Environment Agency,
Chamber of Commerce, Housing Trust, Water Board, Space Agency, Rail Company, Fire Service,
Farmers' Union, Planning Department, Tourism Board, Energy Regulator""".replace("\n", " ").split(
    ", "
)
EN_FIRST = """Maya Tom Nadia Samuel Lucia Priya Helena Ingrid Rafael Oliver Mei Ruth Daniel Amara Jonas
Elena Marcus Sofia Idris Hana Felix Clara Tariq Leona Victor Anouk Mateo Yara Henrik Zara""".split()
EN_LAST_A = (
    "Ash Bel Cal Dar El Fen Gar Hal Ivo Jor Kel Lin Mor Nor Osk Pel Ren Sol Tor Val Wes".split()
)
EN_LAST_B = (
    "ford ton well wick berg mont dale stead more field wood grave ley land vik holm".split()
)
# About as many English place names (30 × 24) as Chinese ones (36 × 24 × suffixes): with
# the first 15 × 13 (still used by the "short" corpus, so it stays as it was), unrelated
# same-day summaries shared their only rare term far more often than real news does (the
# rest of the generated vocabulary is common words).
EN_PLACE_A = """Port Ald East West North South King Calder Bright Stone Ash Fair Mill Bay Red Green Oak
Elm Wolf Fox Hawk Lark Iron Gold Silver Amber Cedar Thorn Black Raven""".split()
EN_PLACE_B = """mere ford haven ridge wick gate field moor brook stead ane port vale bury ton wood
hill cliff dale lea mouth wold thorpe by""".split()
EN_UNITS = """percent, kilometres, tonnes, million dollars, households, passengers, jobs, homes,
megawatts, hectares, containers, vehicles""".replace("\n", " ").split(", ")
EN_WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
EN_TIMES = """Earlier this year, Last week, On Tuesday, Over the past decade, Since the spring,
By the end of October, In the first nine months, Later this month""".replace("\n", " ").split(", ")
EN_PREPS = "in near across around outside beyond along throughout".split()
EN_CATEGORIES = "Economy Science Cities Sport Health Climate Technology Culture Transport".split()


def zipf_choice(rng: random.Random, pool: list[str]) -> str:
    """A word with a Zipf-like preference for the head of the pool (news vocabulary)."""
    i = int(len(pool) * (rng.random() ** 1.6))
    return pool[min(i, len(pool) - 1)]


# A token is (text, category); categories "n", "v", "a" and "num" can be edited.
Token = tuple[str, str]
Sentence = list[Token]


@dataclass
class Entities:
    people: list[str]
    orgs: list[str]
    places: list[str]
    roles: list[str]


def zh_entities(rng: random.Random) -> Entities:
    def place() -> str:
        return rng.choice(ZH_PLACE_A) + rng.choice(ZH_PLACE_B) + rng.choice(ZH_PLACE_SUFFIX)

    def person() -> str:
        return rng.choice(ZH_SURNAMES) + "".join(
            rng.choice(ZH_GIVEN) for _ in range(rng.choice((1, 2)))
        )

    places = [place() for _ in range(rng.randint(1, 2))]
    return Entities(
        people=[person() for _ in range(rng.randint(2, 3))],
        orgs=[
            rng.choice(places).rstrip("省市县区镇") + rng.choice(ZH_ORG_SUFFIX) for _ in range(2)
        ],
        places=places,
        roles=[rng.choice(ZH_ROLES) for _ in range(3)],
    )


def en_entities(rng: random.Random, lengths: str = "real") -> Entities:
    pa, pb = (EN_PLACE_A[:15], EN_PLACE_B[:13]) if lengths == "short" else (EN_PLACE_A, EN_PLACE_B)

    def place() -> str:
        a, b = rng.choice(pa), rng.choice(pb)
        return f"{a}{b}" if rng.random() < 0.6 else f"{a} {b.capitalize()}"

    def person() -> str:
        return f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST_A)}{rng.choice(EN_LAST_B)}"

    places = [place() for _ in range(rng.randint(1, 2))]
    return Entities(
        people=[person() for _ in range(rng.randint(2, 3))],
        orgs=[f"{rng.choice(places)} {rng.choice(EN_ORG_SUFFIX)}" for _ in range(2)],
        places=places,
        roles=[rng.choice(EN_ROLES) for _ in range(3)],
    )


def zh_number(rng: random.Random) -> Sentence:
    if rng.random() < 0.3:
        return [(f"{rng.randint(1, 60)}.{rng.randint(1, 9)}%", "num")]
    value = rng.choice((str(rng.randint(2, 9999)), f"{rng.randint(1, 99)}.{rng.randint(1, 99)}"))
    return [(value, "num"), (rng.choice(ZH_UNITS), "u")]


def zh_np(rng: random.Random, ent: Entities) -> Sentence:
    r = rng.random()
    if r < 0.2:
        return [(rng.choice(ent.places), "e"), (zipf_choice(rng, ZH_NOUNS), "n")]
    if r < 0.5:
        return [(rng.choice(ZH_ADJS), "a"), (zipf_choice(rng, ZH_NOUNS), "n")]
    if r < 0.7:
        return [(zipf_choice(rng, ZH_NOUNS), "n"), (zipf_choice(rng, ZH_NOUNS), "n")]
    return [(zipf_choice(rng, ZH_NOUNS), "n")]


def zh_clause(rng: random.Random, ent: Entities) -> Sentence:
    out = zh_np(rng, ent)
    if rng.random() < 0.4:
        out.append((rng.choice(ZH_ADVS), "adv"))
    out.append((zipf_choice(rng, ZH_VERBS), "v"))
    if rng.random() < 0.45:
        out += zh_number(rng)
        if rng.random() < 0.5:
            out.append(("的", "p"))
    out += zh_np(rng, ent)
    return out


def zh_sentence(rng: random.Random, ent: Entities) -> Sentence:
    r = rng.random()
    if r < 0.2:
        s = [
            (rng.choice(ent.orgs), "e"),
            (f"{rng.randint(1, 28)}日", "num"),
            (rng.choice(ZH_SAY), "p"),
        ]
        s += [("，", "p")] + zh_clause(rng, ent)
    elif r < 0.35:
        s = [(rng.choice(ent.roles), "e"), (rng.choice(ent.people), "e"), (rng.choice(ZH_SAY), "p")]
        s += [("，", "p")] + zh_clause(rng, ent) + [("，", "p")] + zh_clause(rng, ent)
    elif r < 0.5:
        s = [(rng.choice(ZH_TIMES), "t"), ("，", "p"), (rng.choice(ent.places), "e")]
        s += zh_clause(rng, ent)
    elif r < 0.62:
        s = [("据", "p"), (rng.choice(ent.orgs), "e"), ("统计", "p"), ("，", "p")]
        s += zh_np(rng, ent) + [(zipf_choice(rng, ZH_VERBS), "v")] + zh_number(rng)
        s += [("，", "p"), (rng.choice(("同比增长", "同比下降", "环比增长")), "p")]
        s += [(f"{rng.randint(1, 40)}.{rng.randint(1, 9)}%", "num")]
    else:
        s = zh_clause(rng, ent) + [("，", "p")] + zh_clause(rng, ent)
    return s + [("。", "p")]


def en_np(rng: random.Random, ent: Entities) -> Sentence:
    r = rng.random()
    if r < 0.15:
        return [(rng.choice(ent.places), "e"), (zipf_choice(rng, EN_NOUNS), "n")]
    if r < 0.5:
        return [("the", "p"), (rng.choice(EN_ADJS), "a"), (zipf_choice(rng, EN_NOUNS), "n")]
    if r < 0.7:
        return [("the", "p"), (zipf_choice(rng, EN_NOUNS), "n"), (zipf_choice(rng, EN_NOUNS), "n")]
    return [(rng.choice(("the", "a", "its", "their")), "p"), (zipf_choice(rng, EN_NOUNS), "n")]


def en_number(rng: random.Random) -> Sentence:
    value = rng.choice((str(rng.randint(2, 950)), f"{rng.randint(1, 99)}.{rng.randint(1, 9)}"))
    return [(value, "num"), (rng.choice(EN_UNITS), "u")]


def en_clause(rng: random.Random, ent: Entities) -> Sentence:
    out = en_np(rng, ent)
    if rng.random() < 0.25:
        out.append((rng.choice(EN_ADVS), "adv"))
    out.append((zipf_choice(rng, EN_VERBS), "v"))
    out += en_np(rng, ent)
    r = rng.random()
    if r < 0.35:
        out += [("by", "p")] + en_number(rng)
    elif r < 0.6:
        out += [(rng.choice(EN_PREPS), "p"), (rng.choice(ent.places), "e")]
    elif r < 0.75:
        out += [("for", "p")] + en_number(rng)
    return out


def en_sentence(rng: random.Random, ent: Entities) -> Sentence:
    r = rng.random()
    if r < 0.2:
        s = [(rng.choice(ent.orgs), "e"), ("said on", "p"), (rng.choice(EN_WEEKDAYS), "t")]
        s += [("that", "p")] + en_clause(rng, ent)
    elif r < 0.35:
        s = [("“", "q")] + en_clause(rng, ent) + [(",”", "q"), (rng.choice(EN_SAY), "p")]
        s += [(rng.choice(ent.people) + ",", "e"), (rng.choice(ent.roles), "e"), ("at", "p")]
        s += [(rng.choice(ent.orgs), "e")]
    elif r < 0.5:
        s = [(rng.choice(EN_TIMES) + ",", "t")] + en_clause(rng, ent)
    elif r < 0.62:
        s = [("According to", "p"), (rng.choice(ent.orgs) + ",", "e")] + en_clause(rng, ent)
    else:
        s = en_clause(rng, ent) + [(rng.choice((", while", ", and", ", but", ", after")), "p")]
        s += en_clause(rng, ent)
    return s + [(".", "end")]


def render_sentence(s: Sentence, lang: str) -> str:
    if lang == "zh":
        return "".join(t for t, _ in s)
    out = ""
    for text, cat in s:
        if cat == "end" or text.startswith(","):
            out += text
        elif out.endswith("“") or not out:
            out += text
        else:
            out += " " + text
    out = " " + out.replace("“ ", "“")
    for v in "aeiou":
        out = out.replace(f" a {v}", f" an {v}").replace(f"“a {v}", f"“an {v}")
    out = out[1:]
    if out.startswith("“"):
        return "“" + out[1].upper() + out[2:]
    return out[0].upper() + out[1:]


@dataclass
class Story:
    lang: str
    title: list[Token]
    paragraphs: list[list[Sentence]]
    ent: Entities
    date: datetime
    category: str

    def title_text(self) -> str:
        t = render_sentence(self.title, self.lang)
        return t.rstrip("。.")

    def texts(self) -> list[str]:
        """One string per paragraph."""
        sep = "" if self.lang == "zh" else " "
        return [sep.join(render_sentence(s, self.lang) for s in p) for p in self.paragraphs]


# Article lengths.  "real": paragraph counts drawn so that full texts match the cleaned
# lengths of the real mirror pages in ../shared/corpora/goodnews-md (158 articles:
# p10 699, median 1,265, mean 1,600, p90 2,871 characters after cleaning): a log-normal
# count around 17 paragraphs, clamped to 5..60.  "short": the corpus of earlier sessions
# (5-8 paragraphs, median about 500 characters, so half of all full texts fell under the
# dedupe's 500-character excerpt limit), kept to compare with figures measured on it.
LENGTHS = ("real", "short")


def paragraph_count(rng: random.Random, lengths: str) -> int:
    if lengths == "short":
        return rng.randint(5, 8)
    return min(60, max(5, round(rng.lognormvariate(math.log(17), 0.6))))


def make_story(rng: random.Random, lang: str, date: datetime, lengths: str = "real") -> Story:
    if lang == "zh":
        ent = zh_entities(rng)
        paras = [
            [zh_sentence(rng, ent) for _ in range(rng.randint(2, 3))]
            for _ in range(paragraph_count(rng, lengths))
        ]
        title = [(rng.choice(ent.places), "e")] + zh_clause(rng, ent)
        category = rng.choice(ZH_CATEGORIES)
    else:
        ent = en_entities(rng, lengths)
        paras = [
            [en_sentence(rng, ent) for _ in range(rng.randint(2, 3))]
            for _ in range(paragraph_count(rng, lengths))
        ]
        title = [(rng.choice(ent.places), "e")] + en_clause(rng, ent)
        category = rng.choice(EN_CATEGORIES)
    return Story(lang, title, paras, ent, date, category)


def light_edit(rng: random.Random, story: Story) -> Story:
    """Another outlet's light edit: a few words swapped, a number changed, one sentence
    dropped or added, sometimes a reworded title."""
    nouns = ZH_NOUNS if story.lang == "zh" else EN_NOUNS
    verbs = ZH_VERBS if story.lang == "zh" else EN_VERBS
    adjs = ZH_ADJS if story.lang == "zh" else EN_ADJS
    pools = {"n": nouns, "v": verbs, "a": adjs}
    paras = [[list(s) for s in p] for p in story.paragraphs]
    for p in paras:
        for s in p:
            for i, (_, cat) in enumerate(s):
                if cat in pools and rng.random() < 0.04:
                    s[i] = (rng.choice(pools[cat]), cat)
    numbers = [
        (pi, si, ti)
        for pi, p in enumerate(paras)
        for si, s in enumerate(p)
        for ti, (_, c) in enumerate(s)
        if c == "num"
    ]
    if numbers:
        pi, si, ti = rng.choice(numbers)
        text = paras[pi][si][ti][0]
        paras[pi][si][ti] = (text.replace(text[0], str((int(text[0]) + 1) % 10), 1), "num")
    sentence = zh_sentence if story.lang == "zh" else en_sentence
    target = rng.randrange(1, len(paras))
    if rng.random() < 0.5 and len(paras[target]) > 1:
        del paras[target][rng.randrange(len(paras[target]))]
    else:
        paras[target].insert(rng.randrange(len(paras[target]) + 1), sentence(rng, story.ent))
    title = list(story.title)
    if rng.random() < 0.5:
        words = [i for i, (_, c) in enumerate(title) if c in pools]
        if words:
            i = rng.choice(words)
            title[i] = (rng.choice(pools[title[i][1]]), title[i][1])
    return Story(story.lang, title, paras, story.ent, story.date, story.category)


# --------------------------------------------------------------------------- sources


@dataclass(frozen=True)
class SourceSpec:
    id: str
    kind: str  # local | feed
    fmt: str  # hexo | goodnews | jekyll | rss | atom
    lang: str
    excerpt: bool  # a summary-only feed
    share: float
    outlets: tuple[str, ...]  # goodnews: two outlets in one folder
    title: str
    rules: dict[str, list[str]] = field(default_factory=dict)


SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec("dongan", "local", "hexo", "zh", False, 0.13, ("dongan",), "东岸快讯 (Hexo)"),
    SourceSpec(
        "goodnews", "local", "goodnews", "zh", False, 0.17, ("dawn1", "kz3"), "goodnews mirror"
    ),
    SourceSpec("feedx", "local", "jekyll", "zh", False, 0.13, ("feedx",), "feedx posts"),
    SourceSpec("xinchao", "feed", "rss", "zh", True, 0.08, ("xinchao",), "新潮快报 RSS (excerpts)"),
    SourceSpec("zhongtian", "feed", "atom", "zh", False, 0.09, ("zhongtian",), "中天新闻网 Atom"),
    SourceSpec(
        "harbor-post", "feed", "rss", "en", False, 0.12, ("harbor-post",), "Harbor Post RSS"
    ),
    SourceSpec(
        "courier", "feed", "rss", "en", True, 0.09, ("courier",), "Valley Courier RSS (excerpts)"
    ),
    SourceSpec(
        "lantern",
        "feed",
        "atom",
        "en",
        False,
        0.10,
        ("lantern",),
        "Lantern Science Atom",
        {"block_patterns": ["^Subscribe to Lantern"]},
    ),
    SourceSpec(
        "meridian",
        "feed",
        "atom",
        "en",
        True,
        0.09,
        ("meridian",),
        "Meridian Wire Atom (summaries)",
    ),
)

TOPICS = (
    ("china", "中文新闻 · merged", ("dongan", "goodnews", "feedx", "xinchao", "zhongtian")),
    ("world-en", "World (English) · merged", ("harbor-post", "courier", "lantern", "meridian")),
)


@dataclass
class Copy:
    """One article to write: a story as told by one outlet."""

    source: SourceSpec
    outlet: str
    story: Story
    kind: str  # single | base | edit | wrap | excerpt
    group: str
    date: datetime
    key: str = ""
    serial: int = 0


@dataclass
class Corpus:
    root: Path
    seed: int
    sources: tuple[SourceSpec, ...]
    topics: tuple[tuple[str, str, tuple[str, ...]], ...]
    truth: dict[tuple[str, str], str]  # (source_id, key) -> group id
    kinds: dict[tuple[str, str], str]  # (source_id, key) -> single|base|edit|wrap|excerpt
    langs: dict[tuple[str, str], str]
    feed_files: dict[str, Path]  # source id -> feed file
    local_dirs: dict[str, Path]  # source id -> folder

    @property
    def n(self) -> int:
        return len(self.truth)

    def groups(self) -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {}
        for member, g in sorted(self.truth.items()):
            out.setdefault(g, []).append(member)
        return out

    def planted(self) -> dict[str, list[tuple[str, str]]]:
        return {g: m for g, m in self.groups().items() if len(m) > 1}

    def source_entries(self) -> list[dict[str, object]]:
        """The ``sources:`` entries of a feedhub config reading this corpus (bench/run.py
        and the tests that run the pipeline on it)."""
        out: list[dict[str, object]] = []
        for s in self.sources:
            d: dict[str, object] = {"id": s.id, "kind": s.kind, "title": s.title}
            if s.kind == "feed":
                d["url"] = str(self.feed_files[s.id])
            else:
                d["path"] = str(self.local_dirs[s.id])
                d["format"] = {"goodnews": "auto", "jekyll": "jekyll"}.get(s.fmt, s.fmt)
            if s.rules:
                d["rules"] = s.rules
            out.append(d)
        return out

    def source_path(self, source_id: str) -> Path:
        return self.feed_files.get(source_id) or self.local_dirs[source_id]


def _quotas(n: int) -> dict[str, int]:
    raw = {s.id: s.share * n for s in SOURCES}
    q = {k: math.floor(v) for k, v in raw.items()}
    rest = n - sum(q.values())
    for k in sorted(raw, key=lambda k: (q[k] - raw[k], k))[:rest]:
        q[k] += 1
    return q


def plan(n: int, rng: random.Random, dup_share: float = 0.3, lengths: str = "real") -> list[Copy]:
    """Which story goes to which outlet: planted groups first, then singletons."""
    quotas = _quotas(n)
    used = dict.fromkeys(quotas, 0)
    slots = [(s, o) for s in SOURCES for o in s.outlets]
    copies: list[Copy] = []
    planted = 0
    gi = 0
    attempts = 0
    while planted < dup_share * n and attempts < 10 * n:
        attempts += 1
        lang = "zh" if rng.random() < 0.6 else "en"
        size = rng.choices((2, 3, 4), (0.6, 0.3, 0.1))[0]
        full = [
            (s, o)
            for s, o in slots
            if s.lang == lang and not s.excerpt and used[s.id] < quotas[s.id]
        ]
        summ = [
            (s, o) for s, o in slots if s.lang == lang and s.excerpt and used[s.id] < quotas[s.id]
        ]
        if not full:
            continue
        base_slot = rng.choice(full)
        members = [(base_slot, "base")]
        taken = [base_slot]
        for _ in range(size - 1):
            kind = rng.choices(("edit", "wrap", "excerpt"), (0.4, 0.35, 0.25))[0]
            pool = summ if kind == "excerpt" else full
            pool = [
                x
                for x in pool
                if x not in taken
                and used[x[0].id] + sum(1 for t in taken if t[0].id == x[0].id) < quotas[x[0].id]
            ]
            if not pool:
                continue
            slot = rng.choice(pool)
            taken.append(slot)
            members.append((slot, kind))
        if len(members) < 2:
            continue
        date = START + timedelta(seconds=rng.uniform(0, SPAN_DAYS * 86400))
        story = make_story(rng, lang, date, lengths)
        group = f"g{gi:04d}"
        gi += 1
        for (src, outlet), kind in members:
            text_story = light_edit(rng, story) if kind == "edit" else story
            when = date if kind == "base" else date + timedelta(hours=rng.uniform(-12, 24))
            copies.append(Copy(src, outlet, text_story, kind, group, when))
            used[src.id] += 1
            planted += 1
    for src in SOURCES:
        for _ in range(quotas[src.id] - used[src.id]):
            date = START + timedelta(seconds=rng.uniform(0, SPAN_DAYS * 86400))
            outlet = rng.choice(src.outlets)
            story = make_story(rng, src.lang, date, lengths)
            copies.append(Copy(src, outlet, story, "single", f"s{len(copies):05d}", date))
    return copies


# --------------------------------------------------------------------------- writers

GOODNEWS_NAV = (
    "#### [首页](../../README.md)  &nbsp;&nbsp;|&nbsp;&nbsp; [{section}](../../indexes/{section}.md)"
    "   &nbsp;&nbsp;|&nbsp;&nbsp; [热点推荐](../../indexes/热点推荐.md)  &nbsp;&nbsp;|&nbsp;&nbsp; "
    "[镜像说明](../../../../../basic/blob/master/README.md?n1) &nbsp;&nbsp;|&nbsp;&nbsp; "
    "[访问教程](https://github.com/demo-mirror/guides/blob/master/README.md?n1)"
)
GOODNEWS_PROMOS = [
    "#### [ 💌 读者来信：我们为什么坚持做新闻镜像](https://github.com/demo-mirror/goodnews/blob/master/pages/recommended/100001.md) &nbsp; | &nbsp;[订阅每日要闻邮件，早八点准时送达](https://github.com/demo-mirror/goodnews/blob/master/about/newsletter.md) ",
    "#### [ 🎬 《潮汐之城》- 一座港口城市的百年变迁](http://203.0.113.7:10000/videos/blog/)&nbsp; | &nbsp;[《北纬三十度》- 山地森林生态纪录片](http://203.0.113.7:10000/videos/88/)",
    "#### [ 🎬  纪录片《大桥》（跨海大桥建设十年纪实）](http://203.0.113.7:10000/videos/legend/)",
    "#### [ 🔥  电子书下载（历史、经济、科普、文学、旅行 ...）](https://github.com/demo-mirror/books/blob/master/README.md)",
    "#### [ 🎬  精选视频（科技前沿、城市故事、自然纪录、人物访谈 ...）](http://203.0.113.7:81/youtube.html)",
    "#### [ 🔥  气象专家谈：为什么今年的台风季格外漫长](http://203.0.113.7:10000/videos/news/talk03.html)",
    "#### [ 🔥  《城市地下》第一集 - 探访地铁盾构隧道的施工现场](http://203.0.113.7:10000/videos/news/../res/underground/index.html)",
    "#### [ 🔥  老农讲述：三十年种粮方式的变化](http://203.0.113.7:10000/videos/news/farm.html)",
    "#### [ 🔥  星空摄影入门：如何拍到银河](http://203.0.113.7:10000/videos/news/stars02.html)",
    "#### [ 🔥  《江河万里》系列节目](http://203.0.113.7:10000/videos/news/../res/rivers/index.html)",
    "#### [ 🔥  一位桥梁工程师的四十年：从木桥到悬索桥](http://203.0.113.7:10000/videos/news/bridge05.html)",
]
GOODNEWS_SECTIONS = ["H财经新闻", "S看经济", "G国际新闻", "M民生", "K科技"]
OUTLET_NAMES = {
    "dawn1": ("晨光日报", "www.dawnlight-news.example"),
    "kz3": ("观澜网", "www.guanlan.example"),
    "dongan": ("东岸快讯", "www.dongan-news.example"),
    "feedx": ("南风之声", "www.southwind-radio.example"),
    "xinchao": ("新潮快报", "www.xinchao.example"),
    "zhongtian": ("中天新闻网", "news.zhongtian.example"),
    "harbor-post": ("Harbor Post", "www.harborpost.example"),
    "courier": ("Valley Courier", "www.valleycourier.example"),
    "lantern": ("Lantern Science Weekly", "lantern-science.example"),
    "meridian": ("Meridian Wire", "wire.meridian.example"),
}


def _ok_wrap(rng: random.Random, para: str, tag: str) -> str:
    """Wrap one word of a paragraph in a keyword-link junk tag, prettified like the mirrors."""
    words = [w for w in ZH_NOUNS if len(w) >= 2 and w in para]
    if not words or rng.random() < 0.5:
        return para
    w = rng.choice(words)
    href = (
        f"/term/{rng.randint(10000, 99999)}"
        if tag == "ok"
        else f"https://www.guanlan.example/news/gb/tag/{w}"
    )
    extra = "" if tag == "ok" else ' target="_blank"'
    return para.replace(w, f'\n  <{tag} href="{href}"{extra}>\n   {w}\n  </{tag}>\n  ', 1)


def _other_headlines(rng: random.Random, k: int) -> list[str]:
    ent = zh_entities(rng)
    return [
        render_sentence([(rng.choice(ent.places), "e")] + zh_clause(rng, ent), "zh")
        for _ in range(k)
    ]


def goodnews_page(
    rng: random.Random, c: Copy, paras: list[str], page_id: int, reporter: str
) -> str:
    name, host = OUTLET_NAMES[c.outlet]
    bj = c.date + timedelta(hours=8)
    day = f"{bj.year}年{bj.month}月{bj.day}日"
    section = rng.choice(GOODNEWS_SECTIONS)
    nav = GOODNEWS_NAV.format(section=section)
    promos = rng.sample(GOODNEWS_PROMOS, rng.randint(4, 7))
    page = f"pages/{c.outlet}/{page_id}.md"
    caption = f"{paras[0][:12]}。（图片来源：{name}资料图）"
    if c.outlet == "dawn1":
        body = ['<div><div class="Content__Wrapper sc-1bvya0-0 grZQxZ">']
        body.append(
            f' <p class="meta-top">\n  <span class="meta">\n   【{name}{day}】（本台记者{reporter}综合报导）\n'
            f"  </span>\n  {paras[0]}\n </p>"
        )
        for i, p in enumerate(paras[1:], 1):
            body.append(f" <p>\n  {_ok_wrap(rng, p, 'ok')}\n </p>")
            if i == 2:
                body.append(
                    ' <div class="AD_Embed__Wrap-sc-1xslmin-0 igMuqX module desktop">\n  <div>\n  </div>\n </div>'
                )
        if rng.random() < 0.7:
            heads = _other_headlines(rng, 3)
            body.append(
                f' <p>\n  相关报导：\n  <ok href="https://{host}/post/{page_id - 37}">\n   {heads[0]}\n  </ok>\n </p>'
            )
            body.append(" <p>\n  其他报导：\n </p>")
            for j, h in enumerate(heads[1:]):
                body.append(
                    f' <p>\n  <ok href="https://{host}/post/{page_id - 11 * (j + 1)}">\n   {h}\n  </ok>\n </p>'
                )
        editor = rng.choice(ZH_SURNAMES) + rng.choice(ZH_GIVEN) + rng.choice(ZH_GIVEN)
        body.append(f' <p class="meta-btm">\n  责任编辑：{editor}\n </p>')
        body.append(
            f' <p class="meta-btm">\n  本文章或节目经{name}编辑制作，转载请注明{name}并包含原文标题及链接。\n </p>'
        )
        body.append("</div>\n</div>")
        top = (
            f'<div><img alt="{caption}" src="https://img.dawnlight-news.example/2026-11/{page_id}-{rng.randint(10**9, 10**10)}.jpeg"/>\n'
            f'<br/><figcaption class="caption">\n {caption}\n</figcaption></div><hr/>'
        )
        origin = f"https://{host}/post/{page_id}"
    else:
        body = [
            f" <p>\n  【{name}{day}讯】（{name}记者{reporter}综合报导）{_ok_wrap(rng, paras[0], 'span')}\n"
            '  <span id="hideid" name="hideid" style="color:red;display:none;">\n'
            f'   <span href="https://{host}">\n   </span>\n  </span>\n </p>'
        ]
        for i, p in enumerate(paras[1:], 1):
            body.append(f" <p>\n  {_ok_wrap(rng, p, 'span')}\n </p>")
            if i == 2:
                body.append(
                    ' <div>\n  <center>\n   <div id="div-gpt-ad-1589559869784-0">\n   </div>\n  </center>\n </div>'
                )
        wire = rng.choice(("环球通讯社", "东方社", "联合通讯社", "大公社"))
        body.append(
            f'  <p>\n   来源:\n   <span href="/news/gb/tag/{wire}  ">\n    {wire}\n   </span>\n  </p>'
        )
        body.append(
            "  <p>\n   本文短网址:\n"
            '   <input name="lname" onclick="javascript:this.focus();this.select();" type="text" '
            f'value="http://gl.example/{rng.randint(10**5, 10**6)}"/>\n'
            f"   版权所有，任何形式转载需{name}授权许可。\n"
            '   <span style="color:red">\n    未经许可不得整站复制\n   </span>\n   .\n  </p>'
        )
        body.append(
            '  <p style="margin-bottom:12px;">\n   <hr style="border-top: 1px dashed  ;" width="100%"/>\n   <br/>\n'
            f"   【诚征荣誉会员】每一份支持都能让独立报道走得更远。我们诚意邀请读者成为{name}\n"
            '   <span href="/kzgd/subscribe.html" target="_blank">\n    荣誉会员\n   </span>\n'
            "   ：每位荣誉会员每年一份会费的支持，就能帮助我们维持编辑部的日常运转。\n"
            '   <center>\n    <span href="/kzgd/subscribe.html">\n     <img alt="荣誉会员" src="/kzgd/ad/glmembership-20261101_728.gif" width="100%"/>\n'
            "    </span>\n   </center>\n  </p>"
        )
        body.append(
            '  <center>\n   <div>\n    <div id="txt-mid2-t22-2017" style="display: block;margin-top:8px;">\n'
            '     <div id="SC-21xx">\n     </div>\n     <ins class="adsbygoogle" data-ad-client="ca-pub-0000000000000000" '
            'data-ad-slot="1234567890" style="display:block">\n     </ins>\n    </div>\n   </div>\n  </center>'
        )
        body.append("</div>")
        top = (
            '<div class="article_right" style="fone-color:#000">\n <p style="text-align:center">\n'
            f'  <img alt="{caption}" src="https://img3.guanlan.example/pic/2026/{bj.month:02d}-{bj.day:02d}/p{page_id}-ss.jpg"/>\n'
            f"  <br>\n   {caption}\n  </br>\n </p>"
        )
        origin = f"https://{host}/news/gb/{bj.year}/{bj.month:02d}/{bj.day:02d}/{page_id}.html"
    lines = [
        f"### {c.story.title_text()}",
        "------------------------",
        "",
        nav,
        "",
        "",
        "",
        top,
        "",
        *[x for p in promos for x in (p, "")],
        "\n".join(body),
        "<hr/>",
        "手机上长按并复制下列链接或二维码分享本文章：<br/>",
        f"https://github.com/demo-mirror/goodnews/blob/master/{page} <br/>",
        f"<a href='https://github.com/demo-mirror/goodnews/blob/master/{page}'><img src='https://cdn.jsdelivr.net/gh/demo-mirror/goodnews/{page}.png'/></a> <br/>",
        f"原文地址（需翻墙访问）：{origin}",
        "",
        "",
        "------------------------",
        nav,
        "",
        "",
        f"<img src='http://mirror-pixel.example/goodnews/{page}' width='0px' height='0px'/>",
    ]
    return "\n".join(lines)


def _yaml_single(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def hexo_post(rng: random.Random, c: Copy, paras: list[str]) -> str:
    img = f"http://img.example-cdn.cn/{c.date:%Y%m}/{rng.getrandbits(96):024x}_1024.jpg"
    proxied = f"https://cors.zfour.workers.dev/?{img}"
    title = f"{c.story.category} _ {c.story.title_text()}"
    editor = rng.choice(("陈一帆", "林晓", "周思远", "何静", "宋可"))
    checker = rng.choice(("马骁", "苏文", "韩立"))
    body = (
        '<p></p><div class="img_box" id="id_imagebox_0" onclick><div class="content_img_div perview_img_div">'
        f'<img class="lazy opacity_0 " id="img_0" data-original="{img}" data-height="681" data-width="1024" '
        f'src="{proxied}" referrerpolicy="no-referrer"></div></div>{paras[0]}<p></p>'
        + "".join(f"<p>{p}</p>" for p in paras[1:])
        + "<p>▶ 每天早上七点，东岸快讯晨间简报准时送达：点击右上角“···”设为星标，不错过每一条城市新闻。</p>"
        + f"<p>编辑：{editor}</p><p>审核：{checker}</p>"
    )
    return (
        "\n---\n"
        f"title: {_yaml_single(title)}\n"
        "categories: \n - 新媒体\n - 东岸快讯\n - source\n"
        f"headimg: {_yaml_single(proxied)}\n"
        "author: 东岸快讯\n"
        "comments: false\n"
        f"date: {format_datetime(c.date, usegmt=True)}\n"
        f"thumbnail: {_yaml_single(proxied)}\n"
        "---\n\n"
        f"<div>   \n{body}  \n</div>\n            "
    )


def feedx_post(rng: random.Random, c: Copy, paras: list[str], slug: str) -> str:
    title = c.story.title_text()
    _, host = OUTLET_NAMES["feedx"]
    link = f"https://{host}/a/{slug}/{rng.randint(10**6, 10**7)}.html"
    ms = int(c.date.timestamp() * 1000)
    img = f"img.southwind-radio.example/{rng.getrandbits(64):016X}_r1_s_w900.jpg"
    caption = f"资料照：{paras[-1][:14]}。"
    esc = title.replace("\\", "\\\\").replace('"', '\\"')
    body = (
        f"<div>\n<div><i>{format_datetime(c.date - timedelta(minutes=rng.randint(5, 40)), usegmt=True)}</i></div>"
        f'<img src="https://images.weserv.nl?url={img}" width="100%"><div><small style="color: #999;">{caption}</small></div>'
        + "".join(f"<p>{p}</p>" for p in paras)
        + '<br><hr><div>获取更多RSS：<br><a href="https://feedx.net" style="color:orange" target="_blank">https://feedx.net</a> '
        '<br><a href="https://feedx.top" style="color:orange" target="_blank">https://feedx.top</a><br></div>\n</div>'
    )
    return (
        "---\nlayout: post\n"
        f'title: "{esc}"\n'
        f"date: {c.date.strftime('%Y-%m-%dT%H:%M:%S.000Z')}\n"
        "author: 南风之声\n"
        f"from: {link}\n"
        "tags: [ 南风之声 ]\ncategories: [ 南风之声 ]\n---\n"
        f"<!--{ms}-->\n[{title}]({link})\n------\n\n{body}\n"
    )


def excerpt_of(paras: list[str], lang: str, rng: random.Random) -> list[str]:
    """The opening of a story, as a summary-only feed gives it."""
    if lang == "zh":
        keep = paras[: rng.randint(1, 2)]
        text = keep[-1]
        cut = max(len(text) * 2 // 3, min(len(text), 40))
        return [*keep[:-1], text[:cut] + "……"]
    keep = paras[: rng.randint(1, 2)]
    words = keep[-1].split()
    n = max(len(words) * 2 // 3, min(len(words), 12))
    return [*keep[:-1], " ".join(words[:n]) + " […]"]


def feed_item_html(rng: random.Random, c: Copy, paras: list[str], link: str) -> str:
    sid = c.source.id
    ps = "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paras)
    if sid == "harbor-post":
        if rng.random() < 0.3:
            ps += (
                f'<p>More details are on the <a href="{link}/map?utm_source=rss&amp;utm_medium=feed">'
                "project page</a>.</p>"
            )
        ps += (
            "<p>Get the Harbor Post morning briefing in your inbox every weekday.</p>"
            '<img src="https://pixel.harborpost.example/t.gif" width="1" height="1">'
        )
    elif sid == "courier":
        ps += f'<p><a href="{link}?utm_source=rss">Continue reading at the Valley Courier</a></p>'
    elif sid == "lantern":
        ps += "<p>Subscribe to Lantern Science Weekly for more stories like this.</p>"
    elif sid == "xinchao":
        ps += f'<p><a href="{link}">阅读全文</a></p>'
    elif sid == "zhongtian":
        reporter = rng.choice(ZH_SURNAMES) + rng.choice(ZH_GIVEN) + rng.choice(ZH_GIVEN)
        ps += f"<p>（中天新闻网记者{reporter}）</p><p>关注中天新闻网微信公众号，获取更多资讯。</p>"
    return ps


def rss_feed(
    spec: SourceSpec, items: list[tuple[Copy, str, str, str]], rng: random.Random
) -> bytes:
    name, host = OUTLET_NAMES[spec.id]
    lang = "zh-cn" if spec.lang == "zh" else "en"
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">',
        "  <channel>",
        f"    <title>{html.escape(name)}</title>",
        f"    <link>https://{host}/</link>",
        f'    <atom:link href="https://{host}/feed.rss" rel="self" type="application/rss+xml"/>',
        f"    <description>{html.escape(spec.title)}</description>",
        f"    <language>{lang}</language>",
        f"    <lastBuildDate>{format_datetime(START + timedelta(days=SPAN_DAYS + 1), usegmt=True)}</lastBuildDate>",
    ]
    for c, link, body, author in items:
        desc = f"<![CDATA[{body}]]>" if rng.random() < 0.5 else html.escape(body, quote=False)
        out += [
            "    <item>",
            f"      <title>{html.escape(c.story.title_text(), quote=False)}</title>",
            f"      <link>{html.escape(link)}</link>",
            f'      <guid isPermaLink="true">{html.escape(link)}</guid>',
            f"      <pubDate>{format_datetime(c.date, usegmt=True)}</pubDate>",
            f"      <dc:creator>{html.escape(author)}</dc:creator>",
            f"      <category>{html.escape(c.story.category)}</category>",
            f"      <description>{desc}</description>",
            "    </item>",
        ]
    out += ["  </channel>", "</rss>", ""]
    return "\n".join(out).encode("utf-8")


def atom_feed(spec: SourceSpec, items: list[tuple[Copy, str, str, str, str]]) -> bytes:
    name, host = OUTLET_NAMES[spec.id]
    lang = "zh-CN" if spec.lang == "zh" else "en"
    newest = max((c.date for c, *_ in items), default=START)
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{lang}">',
        f"  <id>tag:{host},2026:feed</id>",
        f"  <title>{html.escape(name)}</title>",
        f'  <link rel="self" type="application/atom+xml" href="https://{host}/feed.atom"/>',
        f'  <link rel="alternate" type="text/html" href="https://{host}/"/>',
        f"  <updated>{newest.strftime('%Y-%m-%dT%H:%M:%SZ')}</updated>",
        f"  <author>\n    <name>{html.escape(name)}</name>\n  </author>",
    ]
    for c, link, entry_id, body, summary in items:
        stamp = c.date.strftime("%Y-%m-%dT%H:%M:%SZ")
        out += [
            "  <entry>",
            f"    <id>{entry_id}</id>",
            f"    <title>{html.escape(c.story.title_text(), quote=False)}</title>",
            f'    <link rel="alternate" type="text/html" href="{html.escape(link)}"/>',
            f"    <published>{stamp}</published>",
            f"    <updated>{stamp}</updated>",
            f'    <category term="{html.escape(c.story.category)}"/>',
        ]
        if spec.excerpt:
            out.append(f'    <summary type="html">{html.escape(body, quote=False)}</summary>')
        else:
            out.append(f'    <summary type="text">{html.escape(summary, quote=False)}</summary>')
            out.append(f'    <content type="html">{html.escape(body, quote=False)}</content>')
        out.append("  </entry>")
    out += ["</feed>", ""]
    return "\n".join(out).encode("utf-8")


def generate(root: Path, n: int = 1000, seed: int = SEED, lengths: str = "real") -> Corpus:
    """Write the corpus under ``root`` (created; must be empty or absent); ``lengths`` is
    one of :data:`LENGTHS`."""
    if lengths not in LENGTHS:
        raise ValueError(f"lengths must be one of {LENGTHS}, not {lengths!r}")
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    copies = plan(n, rng, lengths=lengths)
    # Oldest first within a source, so ids and file names follow the dates.
    copies.sort(key=lambda c: (c.source.id, c.date, c.group))
    truth: dict[tuple[str, str], str] = {}
    kinds: dict[tuple[str, str], str] = {}
    langs: dict[tuple[str, str], str] = {}
    feed_items: dict[str, list[tuple[object, ...]]] = {}
    local_dirs: dict[str, Path] = {}
    feed_files: dict[str, Path] = {}
    page_ids = {"dawn1": 618000, "kz3": 1043000}
    for i, c in enumerate(copies):
        src = c.source
        paras = c.story.texts()
        full = paras
        if c.kind == "excerpt" or (src.excerpt and c.kind == "single"):
            paras = excerpt_of(paras, src.lang, rng)
        name, host = OUTLET_NAMES[c.outlet]
        if src.fmt == "goodnews":
            page_ids[c.outlet] += rng.randint(1, 9)
            pid = page_ids[c.outlet]
            reporter = rng.choice(ZH_SURNAMES) + rng.choice(ZH_GIVEN) + rng.choice(ZH_GIVEN)
            key = f"{c.outlet}/{pid}.md"
            path = root / "goodnews" / key
            text = goodnews_page(rng, c, paras, pid, reporter)
            local_dirs[src.id] = root / "goodnews"
        elif src.fmt == "hexo":
            key = f"post-{i:05d}.md"
            path = root / "hexo" / key
            text = hexo_post(rng, c, paras)
            local_dirs[src.id] = root / "hexo"
        elif src.fmt == "jekyll":
            slug = f"story-{i:05d}"
            key = f"{c.date:%Y-%m-%d}-{slug}.md"
            path = root / "feedx" / "_posts" / key
            text = feedx_post(rng, c, paras, slug)
            local_dirs[src.id] = root / "feedx" / "_posts"
        else:
            slug = f"{c.date:%Y/%m/%d}/story-{i:05d}"
            link = f"https://{host}/{slug}"
            body = feed_item_html(rng, c, paras, link)
            author = rng.choice(c.story.ent.people) if src.lang == "en" else name
            if src.fmt == "rss":
                key = link
                feed_items.setdefault(src.id, []).append((c, link, body, author))
            else:
                key = f"tag:{host},2026:story-{i:05d}"
                summary = excerpt_of(full, src.lang, rng)[0]
                feed_items.setdefault(src.id, []).append((c, link, key, body, summary))
            path = None
            text = ""
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        c.key = key
        truth[(src.id, key)] = c.group
        kinds[(src.id, key)] = c.kind
        langs[(src.id, key)] = src.lang
    frng = random.Random(seed + 1)
    for src in SOURCES:
        if src.kind != "feed":
            continue
        items = feed_items.get(src.id, [])
        items.reverse()  # feeds list newest first
        (root / "feeds").mkdir(exist_ok=True)
        ext = "rss" if src.fmt == "rss" else "atom"
        path = root / "feeds" / f"{src.id}.{ext}"
        data = rss_feed(src, items, frng) if src.fmt == "rss" else atom_feed(src, items)  # type: ignore[arg-type]
        path.write_bytes(data)
        feed_files[src.id] = path
    corpus = Corpus(root, seed, SOURCES, TOPICS, truth, kinds, langs, feed_files, local_dirs)
    manifest = {
        "seed": seed,
        "articles": corpus.n,
        "groups": {g: [f"{s}:{k}" for s, k in m] for g, m in corpus.planted().items()},
        "kinds": {f"{s}:{k}": kind for (s, k), kind in sorted(kinds.items())},
    }
    (root / "truth.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return corpus


def main() -> None:
    import argparse
    import tempfile
    from collections import Counter

    p = argparse.ArgumentParser(description="Write the benchmark corpus and summarise it.")
    p.add_argument("--articles", type=int, default=1000)
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--lengths", choices=LENGTHS, default="real")
    p.add_argument("--out", type=Path, help="default: a new temporary directory")
    args = p.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="feedhub-corpus-"))
    corpus = generate(out, args.articles, args.seed, args.lengths)
    per_source = Counter(s for s, _ in corpus.truth)
    kinds = Counter(corpus.kinds.values())
    sizes = Counter(len(m) for m in corpus.planted().values())
    print(f"{corpus.n} articles in {out}")
    print("per source: " + ", ".join(f"{s.id} {per_source[s.id]}" for s in SOURCES))
    print("kinds: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    print("planted groups by size: " + ", ".join(f"{k}: {v}" for k, v in sorted(sizes.items())))


if __name__ == "__main__":
    main()
