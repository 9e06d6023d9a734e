"""Synthetic survey-platform exports of example_data/trust_survey.csv, written as each platform
lays them out (see /work/shared/reference/survey-exports.md): the questionnaire is the one
``semtrust instrument show trust_mechanism --format md`` renders, fielded on each platform."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from semtrust.model.instrument import load_instrument

TRUST = load_instrument("trust_mechanism")
STEM_ZH = "请根据您最近一次在短视频或直播间购物的经历，判断您对以下说法的同意程度。"
STEM_EN = "Please indicate how much you agree with each statement"
DEMOGRAPHICS = ["platform", "gender", "age_group", "education", "monthly_income", "purchase_frequency"]


def label(score, lang="zh"):
    return TRUST.scale.anchors[int(score)][lang]


def durations(n: int) -> list[str]:
    """WJX 所用时间 strings in the three styles seen in exports, and their seconds."""
    seconds = [90 + (17 * i) % 600 for i in range(n)]
    styles = [f"{s}秒" if i % 3 == 0 else f"{s // 60}分{s % 60}秒" if i % 3 == 1 else f"{s // 60:02d}:{s % 60:02d}"
              for i, s in enumerate(seconds)]
    return styles, seconds


def attention_answers(n: int, failures: dict[str, list[int]]) -> pd.DataFrame:
    """Scores of the instrument's attention checks: correct, except in the ``failures`` rows."""
    return pd.DataFrame({a.id: [a.correct[0] if row not in failures.get(a.id, []) else 4 for row in range(n)]
                         for a in TRUST.attention_checks})


def wjx_text(clean: pd.DataFrame, skipped: list[tuple[int, str]], attention: pd.DataFrame | None = None) -> pd.DataFrame:
    """A WJX text download (按选项文本): metadata, numbered demographic questions, one matrix
    question per construct whose first column carries the stem and whose further columns are
    headed by bare row labels (the attention checks among them, as `instrument show --format md`
    places them); label text in the cells; ``(跳过)`` in the ``skipped`` cells."""
    styles, _ = durations(len(clean))
    out = {"序号": [i + 3 for i in range(len(clean))],   # WJX numbering has gaps
           "提交答卷时间": [f"2026/05/{1 + i % 28:02d} 10:{i % 60:02d}:03" for i in range(len(clean))],
           "所用时间": styles, "来源": "手机提交", "来源详情": "微信",
           "来自IP": [f"112.10.33.{i % 250}(浙江-杭州)" for i in range(len(clean))]}
    for number, column in enumerate(DEMOGRAPHICS, start=1):
        out[f"{number}、{column} (单选题 *必答) "] = clean[column]
    number = len(DEMOGRAPHICS)
    blanks = set(skipped)
    for construct in TRUST.constructs:
        number += 1
        for k, item in enumerate(construct.items):
            header = (f"{number}、{STEM_ZH}(矩阵量表题 *必答)—{item.text['zh']}" if k == 0 else item.text["zh"] + " ")
            out[header] = ["(跳过)" if (row, item.id) in blanks else label(v)
                           for row, v in enumerate(clean[item.id])]
            for check in TRUST.attention_checks:
                if attention is not None and check.after == item.id:
                    out[check.text["zh"]] = [label(v) for v in attention[check.id]]
    return pd.DataFrame(out)


def with_blanks(clean: pd.DataFrame, skipped: list[tuple[int, str]], attention: pd.DataFrame | None = None):
    """The clean table with the ``skipped`` cells empty (what the WJX skips mean), the
    completion times of :func:`wjx_text` in a ``duration`` column (seconds) and the attention
    checks' scores in columns named by their ids."""
    frame = clean.copy().astype(object).assign(duration=durations(len(clean))[1])
    if attention is not None:
        frame = frame.join(attention)
    for row, item in skipped:
        frame.loc[row, item] = ""
    return frame


def tencent_csv(clean: pd.DataFrame) -> bytes:
    """Tencent Survey CSV: UTF-8 BOM, trailing comma, ``N.题干:行`` matrix headers, letter-numbered
    options (``A.非常不同意`` is option A, score 1), a repeated header name."""
    header = ["编号", "开始答题时间", "结束答题时间", "答题时长", "用户类型", "IP", "清洗数据结果",
              "1.检查日期:请选择", "1.检查日期:请选择"]
    rows = []
    letters = "ABCDEFG"
    for i in range(len(clean)):
        rows.append([str(i + 1), "2024/05/06 10:12:03", "2024/05/06 10:17:15", str(300 + i), "微信",
                     "112.10.33.8", "有效", "2024", "5"])
    for number, construct in enumerate(TRUST.constructs, start=2):
        for item in construct.items:
            header.append(f"{number}.{STEM_ZH}:{item.text['zh']}")
            for i, v in enumerate(clean[item.id]):
                rows[i].append(f"{letters[int(v) - 1]}.{label(v)}")
    lines = [",".join(f'"{c}"' for c in header) + ","] + [",".join(f'"{c}"' for c in r) + "," for r in rows]
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


def qualtrics_csv(clean: pd.DataFrame, sep: str = ",") -> str:
    """Qualtrics CSV (or TSV) with three header rows and recode values (1-7) in the cells."""
    names = ["StartDate", "Status", "Duration (in seconds)", "Finished", "ResponseId"]
    texts = ["Start Date", "Response Type", "Duration (in seconds)", "Finished", "Response ID"]
    imports = ["startDate", "status", "duration", "finished", "_recordId"]
    for q, construct in enumerate(TRUST.constructs, start=1):
        for r, item in enumerate(construct.items, start=1):
            names.append(f"Q{q}_{r}")
            texts.append(f"{STEM_EN} - {item.text['en']}")
            imports.append(f"QID{q}_{r}")
    frame = [names, texts, [json.dumps({"ImportId": i}) for i in imports]]
    for i in range(len(clean)):
        frame.append(["2024-05-06 10:12:03", "IP Address", str(200 + i), "True", f"R_{i:05d}"]
                     + [str(int(clean.loc[i, item])) for item in TRUST.item_ids])
    return pd.DataFrame(frame).to_csv(index=False, header=False, sep=sep)


def surveymonkey_rows(clean: pd.DataFrame) -> pd.DataFrame:
    """SurveyMonkey: question text only over the first column, row labels in row 2, English labels."""
    top = ["Respondent ID", "Collector ID", "Start Date", "End Date", "What is your gender?"]
    sub = ["", "", "", "", "Response"]
    for construct in TRUST.constructs:
        for k, item in enumerate(construct.items):
            top.append(f"{STEM_EN} ({construct.name['en']})" if k == 0 else "")
            sub.append(item.text["en"])
    rows = [top, sub]
    for i in range(len(clean)):
        rows.append([str(11422334455 + i), "412345678", "05/06/2024 10:12:03 AM", "05/06/2024 10:17:15 AM",
                     clean.loc[i, "gender"]] + [label(clean.loc[i, item], "en") for item in TRUST.item_ids])
    return pd.DataFrame(rows)


def google_csv(clean: pd.DataFrame) -> str:
    """Google Forms: Timestamp first, grid rows as ``Title [Row]``, every field quoted."""
    header = ["Timestamp", "Email Address"] + [f"{STEM_EN} [{item.text['en']}]" for item in TRUST.items]
    rows = [header] + [["2024/05/06 10:17:15 AM GMT+8", ""] + [label(clean.loc[i, item], "en")
                                                               for item in TRUST.item_ids] for i in range(len(clean))]
    return "\n".join(",".join(f'"{c}"' for c in r) for r in rows) + "\n"


def write_sav(clean: pd.DataFrame, path) -> None:
    """SPSS .sav with codes 0-6 labelled 非常不同意…非常同意 (a code is not the score), the
    item wording as variable labels, and 99 declared user-missing in the first item."""
    import pyreadstat

    names = [f"Q{k}" for k in range(1, len(TRUST.items) + 1)]
    frame = pd.DataFrame({n: clean[item.id].astype(float) - 1 for n, item in zip(names, TRUST.items)})
    frame.insert(0, "duration", np.arange(len(clean), dtype=float) + 100)
    frame.loc[0, names[0]] = 99.0
    labels = {float(score - 1): names_["zh"] for score, names_ in TRUST.scale.anchors.items()}
    pyreadstat.write_sav(frame, str(path), column_labels=["用时"] + [i.text["zh"] for i in TRUST.items],
                         variable_value_labels={n: labels for n in names},
                         missing_ranges={names[0]: [99.0]})
