"""The literature plexms relies on: one entry per source, cited by key next to each constant.

Every clinical number in plexms names one of these keys. ``verified=False`` marks a figure that
is widely quoted but not yet checked against the primary text (``shared/reference``): the UI
shows such numbers as defaults a centre can change. ``LOCAL_POLICY`` marks a setting for which
the literature gives no number: it is the centre's own choice and is labelled so wherever shown.
``MODEL_ASSUMPTION`` marks a number the model needs but nobody measured or chose as policy (a
redistribution time, a nominal exchange duration): labelled "model assumption", never "local
policy".

>>> SOURCES["NADLER_1962"].cite()
'Nadler SB et al. Prediction of blood volume in normal human adults. Surgery 1962;51:224-232.'
>>> cite("LOCAL_POLICY")
'Local policy (centre setting; no published figure)'
>>> cite(MODEL_ASSUMPTION)
'Model assumption (a modelling choice, not a measurement or a centre policy)'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["LOCAL_POLICY", "MODEL_ASSUMPTION", "SOURCES", "Source", "cite", "source_dict"]


@dataclass(frozen=True, slots=True)
class Source:
    """One citable source."""

    key: str
    citation: str
    doi: str | None = None
    url: str | None = None
    verified: bool = True

    def cite(self) -> str:
        """Human-readable citation, with DOI when known and a note when unverified."""
        text = self.citation
        if self.doi:
            text += f" doi:{self.doi}"
        if not self.verified:
            text += " (unverified: a default the centre can change)"
        return text

    def short(self) -> str:
        """Author and year, how a page names the source beside a number.

        >>> SOURCES["NADLER_1962"].short()
        'Nadler SB et al. 1962'
        >>> SOURCES["LOCAL_POLICY"].short()
        'Local policy'
        """
        if self.key == LOCAL_POLICY:
            return "Local policy"
        author = self.citation.split(". ", 1)[0]
        if author.endswith(" et al"):
            author += "."
        if len(author) > 40:  # no author: the start of the title
            author = " ".join(author.split()[:5]).rstrip(":,;") + " …"
        year = next((w[:4] for w in _YEARS.findall(self.citation)), "")
        return f"{author} {year}".strip()

    def link(self) -> str | None:
        """Where to read it: the DOI resolver, else the URL (``None`` when neither is known).

        >>> SOURCES["ASFA_2023"].link()
        'https://doi.org/10.1002/jca.22043'
        """
        return f"https://doi.org/{self.doi}" if self.doi else self.url

    def to_dict(self) -> dict[str, object]:
        """JSON form used in every response that makes a recommendation."""
        return {
            "key": self.key,
            "citation": self.cite(),
            "doi": self.doi,
            "url": self.url,
            "verified": self.verified,
        }


LOCAL_POLICY = "LOCAL_POLICY"
_YEARS = re.compile(r"\b(?:19|20)\d\d\b")
MODEL_ASSUMPTION = "MODEL_ASSUMPTION"

_ALL = (
    Source(LOCAL_POLICY, "Local policy (centre setting; no published figure)", verified=True),
    Source(
        MODEL_ASSUMPTION,
        "Model assumption (a modelling choice, not a measurement or a centre policy)",
        verified=True,
    ),
    # --- guidelines ---------------------------------------------------------------------
    Source(
        "ASFA_2023",
        "Connelly-Smith L et al. Guidelines on the use of therapeutic apheresis in clinical "
        "practice: the ninth special issue. J Clin Apher 2023;38:77-278.",
        doi="10.1002/jca.22043",
    ),
    Source(
        "ASFA_2019",
        "Padmanabhan A et al. Guidelines on the use of therapeutic apheresis in clinical "
        "practice: the eighth special issue. J Clin Apher 2019;34:171-354.",
        doi="10.1002/jca.21705",
    ),
    Source(
        "ASFA_2016",
        "Schwartz J et al. Guidelines on the use of therapeutic apheresis in clinical "
        "practice: the seventh special issue. J Clin Apher 2016;31:149-162.",
        doi="10.1002/jca.21470",
    ),
    Source(
        "AAN_2011",
        "Cortese I et al. Evidence-based guideline update: plasmapheresis in neurologic "
        "disorders. Neurology 2011;76:294-300.",
    ),
    Source(
        "ASFA_MS_FACT_SHEET",
        "ASFA fact sheet, multiple sclerosis, technical notes: 1-1.5 plasma volumes, 5-7 "
        "procedures over about 14 days, albumin replacement.",
        verified=False,
    ),
    Source(
        "SEED_PROTOCOL",
        "Programme protocol (shared/seed): 5-7 exchanges over 10-14 days, 1-1.5 plasma volumes, "
        "5% albumin; clinic hours Mon-Thu 09:00-17:00, Fri 09:00-16:00.",
    ),
    # --- volumes ------------------------------------------------------------------------
    Source(
        "NADLER_1962",
        "Nadler SB et al. Prediction of blood volume in normal human adults. "
        "Surgery 1962;51:224-232.",
    ),
    Source(
        "KAPLAN_1990",
        "Kaplan AA. A simple and accurate method for prescribing plasma exchange. "
        "ASAIO Trans 1990;36:M597-M599.",
        verified=False,
    ),
    Source(
        "WEIGHT_RULE",
        "Weight-based blood volume: 70 mL/kg men, 65 mL/kg women (apheresis practice rule).",
        verified=False,
    ),
    Source(
        "LEMMENS_2006",
        "Lemmens HJ et al. Estimating blood volume in obese and morbidly obese patients. "
        "Obes Surg 2006;16:773-776.",
        verified=False,
    ),
    Source(
        "NEURO_TPE_COHORT",
        "Neurology TPE cohort: median plasma volume 3058 mL (IQR 2533-3359), Hct 40.2%; "
        "low-Hct, high-weight patients under-dosed. PMC5769505.",
        url="https://www.ncbi.nlm.nih.gov/pmc/articles/PMC5769505/",
    ),
    Source(
        "TM_CALCULATOR",
        "Open-source therapeutic apheresis calculator (tm-calculator, TPE.vue): albumin 5% "
        "= 50 g/L, rounded to 12.5 g vials.",
        verified=False,
    ),
    Source(
        "PAEDIATRIC_BLOOD_VOLUME",
        "Weight-based blood volume in children: about 70 mL/kg (80 mL/kg under one year), "
        "as used in paediatric apheresis practice (ASFA paediatric technical notes).",
        verified=False,
    ),
    Source(
        "DEVINE_1974",
        "Devine BJ. Gentamicin therapy. Drug Intell Clin Pharm 1974;8:650-655 (ideal body "
        "weight: 50 kg men, 45.5 kg women, + 0.9 kg per cm above 152.4 cm).",
        verified=False,
    ),
    Source(
        "EXTRACORPOREAL_15_PERCENT",
        "Extracorporeal volume should not exceed about 15% of the patient's total blood "
        "volume (else prime the circuit with albumin or red cells): paediatric apheresis "
        "practice, widely quoted.",
        verified=False,
    ),
    # --- kinetics -----------------------------------------------------------------------
    Source(
        "ONE_COMPARTMENT",
        "One-compartment exchange model: fraction remaining = e^-x after x plasma volumes "
        "(Kaplan AA, Handbook of Therapeutic Apheresis; Reverberi 2007).",
    ),
    Source(
        "REVERBERI_2007",
        "Reverberi R, Reverberi L. Removal kinetics of therapeutic apheresis. "
        "Blood Transfus 2007;5:164-174.",
    ),
    Source(
        "ORLIN_1980",
        "Orlin JB, Berkman EM. Partial plasma exchange using albumin replacement: removal and "
        "recovery of normal plasma constituents. Blood 1980;56:1055-1059.",
    ),
    Source(
        "IGG_KINETICS_QUOTED",
        "IgG re-equilibration ~1-2%/h over ~48 h; IgG half-life ~21 days (widely quoted).",
        verified=False,
    ),
    Source(
        "WODAJO_2024",
        "Wodajo et al. Coagulation factor depletion and recovery after therapeutic plasma "
        "exchange. Transfusion 2024.",
        doi="10.1111/trf.17865",
    ),
    Source(
        "KHATRI_2009",
        "Khatri BO et al. Effect of plasma exchange in accelerating natalizumab clearance and "
        "restoring leukocyte function. Neurology 2009;72:402-409.",
        doi="10.1212/01.wnl.0000341766.59028.9d",
    ),
    Source(
        "PUISSET_2013",
        "Puisset F et al. Therapeutic plasma exchange and rituximab clearance. "
        "Br J Clin Pharmacol 2013;76:734-740.",
    ),
    # --- safety -------------------------------------------------------------------------
    Source(
        "WAA_2025",
        "World Apheresis Association registry, 2025 update (>169,000 procedures). "
        "Transfus Apher Sci 2025.",
        doi="10.1016/j.transci.2025.104132",
    ),
    Source(
        "WAA_2016",
        "Mortzell Henriksson M et al. Adverse events in apheresis: an update of the WAA "
        "registry data. Transfus Apher Sci 2016;54:2-15.",
    ),
    Source(
        "WEINSTEIN_1996",
        "Weinstein R. Prophylactic administration of calcium gluconate during plasma exchange. "
        "J Clin Apher 1996;11:204-210.",
    ),
    Source(
        "BOLAN_2001",
        "Bolan CD et al. Comprehensive analysis of citrate effects during plateletpheresis. "
        "Transfusion 2001.",
    ),
    Source(
        "OLSON_1977",
        "Olson PR et al. Symptoms of citrate toxicity during plateletpheresis "
        "(no significant symptoms below ~1.08 mg/kg/min). 1977.",
        verified=False,
    ),
    Source(
        "SPECTRA_OPTIA",
        "Spectra Optia operator's manual, TPE procedure defaults: inlet:AC ratio 10:1 "
        "(warning above 15:1); plasma removal efficiency ~87%; ~1.15 TBV processed per "
        "plasma volume removed; AC infusion rate 0.8-1.2 mL/min per litre of total blood "
        "volume (a setting of the device); extracorporeal volume ~141 mL, at most ~185 mL.",
        verified=False,
    ),
    Source(
        "GS1_GENSPECS",
        "GS1 General Specifications, Release 24.0 (GS1 AISBL, 2024): section 3 (application "
        "identifiers 01 GTIN, 10 batch/lot, 17 expiry date, 21 serial), 7.8 (FNC1/group "
        "separator after variable-length element strings), 7.9 (check digit), 7.12 (century "
        "of a two-digit year).",
        url="https://ref.gs1.org/standards/genspecs/",
    ),
    Source(
        "OWEN_BRECHER_1994",
        "Owen HG, Brecher ME. Atypical reactions associated with use of angiotensin-converting "
        "enzyme inhibitors and apheresis. Transfusion 1994;34:891-894.",
    ),
    # --- MS evidence --------------------------------------------------------------------
    Source(
        "WEINSHENKER_1999",
        "Weinshenker BG et al. A randomized trial of plasma exchange in acute central nervous "
        "system inflammatory demyelinating disease. Ann Neurol 1999;46:878-886.",
    ),
    Source(
        "KEEGAN_2002",
        "Keegan M et al. Plasma exchange for severe attacks of CNS demyelination: predictors "
        "of response. Neurology 2002;58:143-146.",
    ),
    Source(
        "KEEGAN_2005",
        "Keegan M et al. Relation between humoral pathological changes in multiple sclerosis "
        "and response to therapeutic plasma exchange. Lancet 2005;366:579-582.",
    ),
    Source(
        "LLUFRIU_2009",
        "Llufriu S et al. Plasma exchange for acute attacks of CNS demyelination: predictors "
        "of improvement at 6 months. Neurology 2009;73:949-953.",
    ),
    Source(
        "MAGANA_2011",
        "Magana SM et al. Beneficial plasma exchange response in central nervous system "
        "inflammatory demyelination. Arch Neurol 2011;68:870-878.",
    ),
    Source(
        "BLECHINGER_2021",
        "Blechinger S et al. Therapeutic plasma exchange in steroid-unresponsive relapses of "
        "multiple sclerosis. Ther Adv Neurol Disord 2021;14:1756286420975642.",
        doi="10.1177/1756286420975642",
    ),
    Source(
        "MARRODAN_2025",
        "Marrodan M, Ysrraelit MC, Correale J. Therapeutic plasma exchange in "
        "corticosteroid-refractory multiple sclerosis relapses. Biomedicines 2025;13:2399.",
        doi="10.3390/biomedicines13102399",
    ),
    Source(
        "SCI_REP_2022",
        "Therapeutic plasma exchange in multiple sclerosis patients with an inadequate "
        "response to corticosteroids. Sci Rep 2022.",
        doi="10.1038/s41598-022-23356-w",
    ),
    Source(
        "BONNAN_2018",
        "Bonnan M et al. Short delay to initiate plasma exchange is the strongest predictor of "
        "outcome in severe attacks of NMO spectrum disorders. J Neurol Neurosurg Psychiatry "
        "2018;89:346-351 (complete recovery far more likely when started early, rare after "
        "day 20).",
        verified=False,
    ),
    Source(
        "MCDONALD_2017",
        "Thompson AJ et al. Diagnosis of multiple sclerosis: 2017 revisions of the McDonald "
        "criteria. Lancet Neurol 2018;17:162-173 (an attack lasts at least 24 hours, in the "
        "absence of fever or infection).",
        verified=False,
    ),
    Source(
        "TYSABRI_PML",
        "TYSABRI (natalizumab) prescribing information, boxed warning: progressive multifocal "
        "leukoencephalopathy; new neurological signs on natalizumab call for evaluation for "
        "PML (JCV antibody status, MRI, CSF JCV DNA) before they are treated as a relapse.",
        verified=False,
    ),
    Source(
        "ASFA_FACT_SHEET_TIMING",
        "ASFA fact sheets (MS acute attack/relapse, NMOSD, ADEM), technical notes on when to "
        "start TPE after onset. The primary text has not been read for plexms: the window they "
        "give is unverified, and plexms's 60- and 90-day bounds are local policy, not ASFA's.",
        verified=False,
    ),
    Source(
        "ASFA_2016_NEURO_ROWS",
        "Schwartz J et al. ASFA seventh special issue, J Clin Apher 2016;31:149-162, fact "
        "sheets for NMOSD (acute attack/relapse TPE II 1B; maintenance III 2C) and ADEM (TPE "
        "II 2C), as quoted in later editions; not checked against the 2016 primary text.",
        doi="10.1002/jca.21470",
        verified=False,
    ),
    Source(
        "MOGAD_ASFA_BASIS",
        "ASFA 2023 (Connelly-Smith et al.) has no separate MOGAD entry (shared/reference): "
        "MOGAD attacks are assessed under the NMOSD acute attack/relapse entry by analogy, a "
        "local decision shown as such.",
        doi="10.1002/jca.22043",
    ),
    # --- outcome measures ---------------------------------------------------------------
    Source(
        "KURTZKE_1983",
        "Kurtzke JF. Rating neurologic impairment in multiple sclerosis: an expanded "
        "disability status scale (EDSS). Neurology 1983;33:1444-1452.",
        doi="10.1212/WNL.33.11.1444",
    ),
    Source(
        "NEUROSTATUS_2010",
        "Kappos L. Neurostatus scoring definitions, version 04/10.2. neurostatus.net.",
        url="https://www.neurostatus.net",
    ),
    Source(
        "GREGORI_2010",
        "Gregori NZ et al. The Early Treatment Diabetic Retinopathy Study letter score and "
        "Snellen equivalents. Retina 2010;30:1046-1050.",
        doi="10.1097/IAE.0b013e3181d87e04",
    ),
    Source(
        "SCHULZE_BONSEL_2006",
        "Schulze-Bonsel K et al. Visual acuities 'hand motion' and 'counting fingers' can be "
        "quantified with the Freiburg visual acuity test. IOVS 2006;47:1236-1240.",
        doi="10.1167/iovs.05-0981",
    ),
    Source(
        "EDSS_CHANGE_2007",
        "Confirmed EDSS change definitions: >= 1.0 from baseline <= 5.5, >= 0.5 from "
        "baseline >= 6.0. Mult Scler 2007.",
        doi="10.1177/1352458506070931",
    ),
    Source(
        "EDSS_WORSENING_TRIALS",
        "Baseline-dependent EDSS worsening used in MS trials: >= 1.5 from 0, >= 1.0 from "
        "1.0-5.5, >= 0.5 from >= 6.0 (the 1.0 and 0.5 steps: EDSS_CHANGE_2007; the 1.5 step "
        "from 0 as quoted, not checked against a primary text).",
        verified=False,
    ),
    Source(
        "RELAPSE_SEVERITY_2019",
        "Relapse severity by EDSS increase: mild 0.5, moderate 1.0-1.5, severe >= 2.0. "
        "Mult Scler 2019.",
        doi="10.1177/1352458518809903",
    ),
    # --- plan: anticoagulant, clinic ----------------------------------------------------
    Source(
        "ACD_A_LABEL",
        "Anticoagulant Citrate Dextrose Solution A (ACD-A), USP, product label: per 100 mL "
        "dextrose monohydrate 2.45 g, sodium citrate dihydrate 2.2 g, citric acid anhydrous "
        "0.73 g (total citrate ~113 mmol/L).",
        verified=False,
    ),
    Source(
        "CITRATE_DONOR_2016",
        "Distribution of citrate and citrate infusion rate during donor plasmaphereses. "
        "J Clin Apher 2016;31:59-62 (abstract: 84.6% of the citrate left with the collected "
        "plasma; citrate infusion rate = citrate received / body weight / time).",
    ),
    Source(
        "SEED_CLINIC",
        "Seed clinic (shared/seed): La Jolla, CA 92037; Mon-Thu 09:00-17:00, Fri 09:00-16:00.",
    ),
    # --- decisions: eligibility, adverse events, DMT hand-back, TPE vs IVIG --------------
    Source(
        "SEED_ARTICLE",
        "Programme article (shared/seed): Therapeutic Plasma Exchange for Multiple Sclerosis - "
        "indications, safety list, TPE vs IVIG table, DMTs resumed after TPE.",
    ),
    Source(
        "CTCAE_V5",
        "National Cancer Institute. Common Terminology Criteria for Adverse Events (CTCAE) "
        "version 5.0, 2017: grade 1 mild, 2 moderate, 3 severe, 4 life-threatening, 5 death.",
        verified=False,
    ),
    Source(
        "CHAN_1983",
        "Chan TF, Golub GH, LeVeque RJ. Algorithms for computing the sample variance: analysis "
        "and recommendations. Am Stat 1983;37:242-247.",
        doi="10.1080/00031305.1983.10483115",
        verified=False,
    ),
    Source(
        "WILSON_1927",
        "Wilson EB. Probable inference, the law of succession, and statistical inference. "
        "J Am Stat Assoc 1927;22:209-212.",
        verified=False,
    ),
    Source(
        "CDC_NHSN_CLABSI",
        "Centers for Disease Control and Prevention, National Healthcare Safety Network. "
        "Patient Safety Component Manual, chapter 4: Bloodstream Infection Event (Central "
        "Line-Associated Bloodstream Infection and non-central line-associated Bloodstream "
        "Infection), 2024: CLABSI rate per 1,000 central line-days = number of CLABSI / "
        "number of central line-days x 1,000; a line-day for each day a central line is in "
        "place.",
        url="https://www.cdc.gov/nhsn/pdfs/pscmanual/4psc_clabscurrent.pdf",
        verified=False,
    ),
    Source(
        "GARWOOD_1936",
        "Garwood F. Fiducial limits for the Poisson distribution. Biometrika 1936;28:437-442 "
        "(the exact interval for a Poisson count; 2 events: 0.242 to 7.225).",
        doi="10.1093/biomet/28.3-4.437",
        verified=False,
    ),
    Source(
        "NEWCOMBE_1998",
        "Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of "
        "seven interval methods. Stat Med 1998;17:857-872 (worked examples, e.g. 81/263: "
        "Wilson 0.2553-0.3662).",
        verified=False,
    ),
    Source(
        "IBRAHIM_2007",
        "Ibrahim RB et al. Drug removal by plasmapheresis: an evidence-based review. "
        "Pharmacotherapy 2007;27:1529-1549 (removal significant for a small volume of "
        "distribution and high plasma protein binding).",
        verified=False,
    ),
    Source(
        "DMT_LABELS",
        "Product information (EU SmPC / US prescribing information) of each multiple "
        "sclerosis disease-modifying therapy: class, route and dosing interval.",
        verified=False,
    ),
    Source(
        "TERIFLUNOMIDE_LABEL",
        "Teriflunomide product information: accelerated elimination procedure with "
        "cholestyramine or activated charcoal.",
        verified=False,
    ),
    Source(
        "SORENSEN_2004",
        "Sorensen PS et al. IV immunoglobulins as add-on treatment to methylprednisolone for "
        "acute relapses in MS. Neurology 2004;63:2028-2033.",
        verified=False,
    ),
    Source(
        "ROED_2005",
        "Roed HG et al. A double-blind, randomized trial of IV immunoglobulin treatment in "
        "acute optic neuritis. Neurology 2005;64:804-810.",
        verified=False,
    ),
    Source(
        "EFNS_IVIG_2008",
        "Elovaara I et al. EFNS guidelines for the use of intravenous immunoglobulin in "
        "treatment of neurological diseases. Eur J Neurol 2008;15:893-908.",
        verified=False,
    ),
    # --- kinetic model parameters (plexms.core.kinetics.substances) ---------------------
    Source(
        "FIBRINOGEN_QUOTED",
        "Fibrinogen about 80% intravascular (widely quoted in apheresis texts).",
        verified=False,
    ),
    # --- priors of the patient-level kinetic fit (plexms.core.kinetics.priors) ----------
    Source(
        "WALDMANN_STROBER_1969",
        "Waldmann TA, Strober W. Metabolism of immunoglobulins. Prog Allergy 1969;13:1-110. "
        "(IgG survival half-time about 18-28 days, about 45% intravascular.)",
        verified=False,
    ),
    Source(
        "COLLEN_1972",
        "Collen D et al. Turnover of radiolabelled fibrinogen in man. Eur J Clin Invest "
        "1972;2:427-434. (Plasma half-life about 3-5 days; about 75-85% intravascular.)",
        verified=False,
    ),
    Source(
        "IGG_REFERENCE_QUOTED",
        "Adult serum IgG reference interval about 7-16 g/L (widely quoted laboratory reference).",
        verified=False,
    ),
    Source(
        "FIBRINOGEN_REFERENCE_QUOTED",
        "Adult plasma fibrinogen (Clauss) reference interval about 2-4.5 g/L (widely quoted "
        "laboratory reference).",
        verified=False,
    ),
    Source(
        "ASSAY_CV_QUOTED",
        "Residual variation of a measured level (analytical plus sampling): about 5-6% for "
        "IgG (nephelometry), 7-10% for Clauss fibrinogen, 10-20% for drug-level assays "
        "(widely quoted).",
        verified=False,
    ),
    Source(
        "TYSABRI_LABEL",
        "TYSABRI (natalizumab) US prescribing information, section 12.3 Pharmacokinetics: "
        "in MS patients mean half-life 11 +/- 4 days, volume of distribution 5.7 +/- 1.9 L.",
        verified=False,
    ),
    Source(
        "OCREVUS_LABEL",
        "OCREVUS (ocrelizumab) US prescribing information, section 12.3 Pharmacokinetics: "
        "two-compartment model, central volume 2.78 L, peripheral volume 2.68 L, "
        "inter-compartment clearance 0.29 L/day, constant clearance 0.17 L/day, terminal "
        "half-life 26 days.",
        verified=False,
    ),
    Source(
        "RITUXIMAB_PK_REVIEW_2019",
        "Pharmacokinetic studies of rituximab using pharmacokinetic modelling (table 3: "
        "Puisset 2013, plasmapheresis, two-compartment: V1 2.48 L, CL 0.15936 L/day, "
        "elimination half-life 22.8 days). Br J Clin Pharmacol 2019;85:2002-2010.",
        doi="10.1111/bcp.13991",
        url="https://pmc.ncbi.nlm.nih.gov/articles/PMC6710546/",
    ),
    Source(
        "SOLIRIS_LABEL",
        "SOLIRIS (eculizumab) US prescribing information, section 2: supplemental dosing of "
        "SOLIRIS is required in the setting of concomitant plasmapheresis or plasma exchange, "
        "or fresh frozen plasma infusion (table: supplemental dose after PE/PI); the EU SmPC "
        "says the same for aHUS, gMG and NMOSD.",
    ),
    Source(
        "ULTOMIRIS_LABEL",
        "ULTOMIRIS (ravulizumab) US prescribing information, section 2: supplemental dose "
        "after plasmapheresis, plasma exchange or IVIG (table by the most recent dose).",
        verified=False,
    ),
    # --- virtual cohorts (plexms.core.kinetics.population) ------------------------------
    Source(
        "MS_ATLAS_2020",
        "Walton C et al. Rising prevalence of multiple sclerosis worldwide: insights from the "
        "Atlas of MS, third edition. Mult Scler 2020;26:1816-1821 (about twice as many women "
        "as men live with MS).",
        doi="10.1177/1352458520970841",
        verified=False,
    ),
    Source(
        "CENTRE_REGISTRY",
        "The centre's own registry: its patients' recorded sex, latest height, weight and "
        "haematocrit and first IgG and fibrinogen, resampled with replacement.",
    ),
    Source(
        "ADULT_ANTHROPOMETRY_QUOTED",
        "Adult height and weight in high-income Western countries (NCD Risk Factor "
        "Collaboration, eLife 2016 and Lancet 2016): mean height about 164 cm (women) and "
        "178 cm (men), median weight about 68 kg and 84 kg (widely quoted).",
        verified=False,
    ),
    Source(
        "HEMATOCRIT_REFERENCE_QUOTED",
        "Adult haematocrit reference intervals about 0.36-0.46 (women) and 0.41-0.50 (men) "
        "(widely quoted laboratory ranges).",
        verified=False,
    ),
    # --- benchmarking (plexms.core.benchmark) -------------------------------------------
    Source(
        "SPIEGELHALTER_2005",
        "Spiegelhalter DJ. Funnel plots for comparing institutional performance. Stat Med "
        "2005;24:1185-1202 (control limits p0 +/- z sqrt(p0 (1 - p0) / n), z 1.96 and 3.09).",
        doi="10.1002/sim.1970",
        verified=False,
    ),
    Source(
        "STEINER_2000",
        "Steiner SH et al. Monitoring surgical performance using risk-adjusted cumulative sum "
        "charts. Biostatistics 2000;1:441-452 (Bernoulli CUSUM: weights log(OR) and "
        "log((1 - p0) / (1 - p1)) for an odds ratio OR, signal when the sum reaches h).",
        doi="10.1093/biostatistics/1.4.441",
        verified=False,
    ),
    # --- visual acuity letter scoring (outcomes) ---------------------------------------
    Source(
        "FERRIS_1982",
        "Ferris FL 3rd et al. New visual acuity charts for clinical research. "
        "Am J Ophthalmol 1982;94:91-96. (5 letters a line, 0.1 logMAR a line: 0.02 logMAR "
        "a letter.)",
        verified=False,
    ),
    # --- outcome measures beyond the EDSS (core.measures, core.policy.MeasurePolicy) ---------
    Source(
        "KAUFMAN_2000",
        "Kaufman M et al. The significant change for the Timed 25-foot Walk in "
        "the Multiple Sclerosis Functional Composite. Mult Scler 2000;6:286-290. (A change of "
        "20% or more exceeds the test's variability.)",
        doi="10.1177/135245850000600411",
        verified=False,
    ),
    Source(
        "KRAGT_2006",
        "Kragt JJ et al. Clinical impact "
        "of 20% worsening on Timed 25-foot Walk and 9-hole Peg Test in multiple sclerosis. "
        "Mult Scler 2006;12:594-598.",
        doi="10.1177/1352458506070768",
        verified=False,
    ),
    Source(
        "KALINOWSKI_2022",
        "Kalinowski A et al. The timed 25-foot walk in a large cohort of "
        "multiple sclerosis patients. Mult Scler 2022;28:289-299. (20% worsening as the "
        "meaningful change.)",
        doi="10.1177/13524585211017013",
        verified=False,
    ),
    Source(
        "FEYS_2017",
        "Feys P et al. The Nine-Hole Peg Test as a manual dexterity "
        "performance measure for multiple sclerosis. Mult Scler 2017;23:711-720. (20% change "
        "per hand as clinically meaningful.)",
        doi="10.1177/1352458517690824",
        verified=False,
    ),
    Source(
        "BENEDICT_2017",
        "Benedict RHB et al. Validity of the Symbol Digit Modalities "
        "Test as a cognition performance outcome measure for multiple sclerosis. Mult Scler "
        "2017;23:721-733. (A change of 4 points or 10% is clinically meaningful.)",
        doi="10.1177/1352458517690821",
        verified=False,
    ),
    Source(
        "BALCER_2017",
        "Balcer LJ et al. Validity of low-contrast letter acuity as a "
        "visual performance outcome measure for multiple sclerosis. Mult Scler 2017;23:734-747. "
        "(A loss of 7 letters at 2.5% contrast is clinically meaningful.)",
        doi="10.1177/1352458517690822",
        verified=False,
    ),
    Source(
        "HOBART_2001",
        "Hobart J et al. The Multiple Sclerosis "
        "Impact Scale (MSIS-29): a new patient-based outcome measure. Brain 2001;124:962-973.",
        doi="10.1093/brain/124.5.962",
        verified=False,
    ),
    Source(
        "COSTELLOE_2007",
        "Costelloe L et al. The patient knows best: significant change "
        "in the physical component of the Multiple Sclerosis Impact Scale (MSIS-29 physical). "
        "J Neurol Neurosurg Psychiatry 2007;78:841-844. (About 8 points; Phillips GA et al., "
        "Mult Scler 2014;20:1753-1760, give 7.5 for physical worsening.)",
        doi="10.1136/jnnp.2006.105759",
        verified=False,
    ),
    Source(
        "HOBART_2003",
        "Hobart JC et al. Measuring the impact of "
        "MS on walking ability: the 12-Item MS Walking Scale (MSWS-12). Neurology "
        "2003;60:31-36.",
        doi="10.1212/WNL.60.1.31",
        verified=False,
    ),
    Source(
        "MEHTA_2015",
        "Mehta L et al. Identifying an important change estimate for the "
        "Multiple Sclerosis Walking Scale-12 (MSWS-12v1) for interpreting clinical trial "
        "results. Mult Scler J Exp Transl Clin 2015. (Anchor estimates 5.2-13.4 points; an "
        "8-point reduction proposed. Motl et al. 2013 found the earlier 4- and 6-point values "
        "did not track walking performance: the literature is not settled.)",
        url="https://pmc.ncbi.nlm.nih.gov/articles/PMC5460630",
    ),
    Source(
        "ROONEY_2019",
        "Rooney S et al. Minimally important difference of the "
        "fatigue severity scale and modified fatigue impact scale in people with multiple "
        "sclerosis. Mult Scler Relat Disord 2019;35:158-163. (FSS at least 0.45 points, MFIS "
        "at least 4 points; estimates 0.45-0.88 and 3.86-8.11.)",
        doi="10.1016/j.msard.2019.07.028",
    ),
    Source(
        "KALINCIK_2015",
        "Kalincik T et al. Defining reliable disability outcomes in "
        "multiple sclerosis. Brain 2015;138:3287-3298. (EDSS scores recorded within 30 days "
        "of a relapse are not used as the reference or confirmation of disability change.)",
        doi="10.1093/brain/awv258",
        verified=False,
    ),
    Source(
        "KAPPOS_2018",
        "Kappos L et al. Greater sensitivity to multiple sclerosis "
        "disability worsening and progression events using a roving versus a fixed reference "
        "value in a prospective cohort study. Mult Scler 2018;24:963-973. (The reference EDSS "
        "is one not taken within 30 days of a relapse.)",
        doi="10.1177/1352458517709619",
        verified=False,
    ),
)

SOURCES: dict[str, Source] = {source.key: source for source in _ALL}
if len(SOURCES) != len(_ALL):  # pragma: no cover - a key written twice would hide one of them
    raise RuntimeError("core.sources: a source key is defined twice")


def cite(key: str) -> str:
    """The citation text for ``key``; ``KeyError`` for an unknown key (a bug, not input)."""
    return SOURCES[key].cite()


def source_dict(key: str) -> dict[str, object]:
    """The JSON form of source ``key``."""
    return SOURCES[key].to_dict()
