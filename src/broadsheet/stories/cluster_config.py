"""The story engine's tuning knobs, in one place so every module reads the same values."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ClusterConfig:
    """Tuning knobs. Defaults were chosen on held-out dev samples (see bench/stories.py)."""

    window_days: float = 7.0  # active window, in the articles' own publication times
    max_undated: int = 20_000  # undated articles kept as candidates (newest first)
    threshold: float = 0.12  # minimum (density-corrected) score to join a story
    centroid_weight: float = 0.5  # score = w * cos(centroid) + (1 - w) * cos(best member)
    same_outlet_penalty: float = 0.10  # soft prior: one outlet rarely reports one event twice
    time_penalty: float = 0.10  # subtracted in full at a gap of one window, pro rata below
    title_weight: float = 1.0  # namespace weights of the feature vector
    name_weight: float = 0.5
    number_weight: float = 1.0
    word_weight: float = 1.0
    url_weight: float = 2.0  # words of the address's slug ("u:"); 0 = not read
    max_features: int = 80  # strongest features kept per article
    query_terms: int = 16  # features looked up in the inverted index
    posting_cap: int = 2_000  # skip features found in more active articles than this
    max_candidates: int = 30  # articles scored exactly
    member_scan: int = 32  # stories up to this size are scored member by member
    density_k: int = 3  # neighbours that measure how crowded an article's topic is
    density_weight: float = 1.0  # 0 = plain cosine, 1 = full density correction
    density_memory: int = 6  # closest neighbours remembered per article (>= density_k)
    density_outside: bool = True  # density counts only neighbours outside the scored story
    merge_threshold: float = -0.06  # ``refine``: mean corrected similarity to merge two stories
    merge_min_cosine: float = 0.10  # ``refine``: and at least this mean plain cosine
    idf_prior_docs: int = 100  # pseudo-documents that keep a cold start's idf from overreacting
    # Body words read per article: the lead names the event, and the thresholds above were
    # calibrated on texts of about this length (longer bodies dilute every cosine).
    lead_words: int | None = 120
