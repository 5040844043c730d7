/**
 * ISO 3166-1 country codes, alpha-2 with alpha-3, as shipped by Debian's iso-codes 4.15.0
 * (iso_3166-1.json, which tracks the ISO 3166 Maintenance Agency's list): 249 entries, each
 * written as five letters, the alpha-2 code then the alpha-3 code (`ESESP`). BIC validation
 * needs the alpha-2 set; MRZ issuing states and nationalities are alpha-3 (ICAO Doc 9303
 * Part 3, section 5) and are reported as alpha-2.
 */
const ISO_3166_1 =
  'ADAND AEARE AFAFG AGATG AIAIA ALALB AMARM AOAGO AQATA ARARG ASASM ATAUT AUAUS AWABW AXALA AZAZE ' +
  'BABIH BBBRB BDBGD BEBEL BFBFA BGBGR BHBHR BIBDI BJBEN BLBLM BMBMU BNBRN BOBOL BQBES BRBRA BSBHS ' +
  'BTBTN BVBVT BWBWA BYBLR BZBLZ CACAN CCCCK CDCOD CFCAF CGCOG CHCHE CICIV CKCOK CLCHL CMCMR CNCHN ' +
  'COCOL CRCRI CUCUB CVCPV CWCUW CXCXR CYCYP CZCZE DEDEU DJDJI DKDNK DMDMA DODOM DZDZA ECECU EEEST ' +
  'EGEGY EHESH ERERI ESESP ETETH FIFIN FJFJI FKFLK FMFSM FOFRO FRFRA GAGAB GBGBR GDGRD GEGEO GFGUF ' +
  'GGGGY GHGHA GIGIB GLGRL GMGMB GNGIN GPGLP GQGNQ GRGRC GSSGS GTGTM GUGUM GWGNB GYGUY HKHKG HMHMD ' +
  'HNHND HRHRV HTHTI HUHUN IDIDN IEIRL ILISR IMIMN ININD IOIOT IQIRQ IRIRN ISISL ITITA JEJEY JMJAM ' +
  'JOJOR JPJPN KEKEN KGKGZ KHKHM KIKIR KMCOM KNKNA KPPRK KRKOR KWKWT KYCYM KZKAZ LALAO LBLBN LCLCA ' +
  'LILIE LKLKA LRLBR LSLSO LTLTU LULUX LVLVA LYLBY MAMAR MCMCO MDMDA MEMNE MFMAF MGMDG MHMHL MKMKD ' +
  'MLMLI MMMMR MNMNG MOMAC MPMNP MQMTQ MRMRT MSMSR MTMLT MUMUS MVMDV MWMWI MXMEX MYMYS MZMOZ NANAM ' +
  'NCNCL NENER NFNFK NGNGA NINIC NLNLD NONOR NPNPL NRNRU NUNIU NZNZL OMOMN PAPAN PEPER PFPYF PGPNG ' +
  'PHPHL PKPAK PLPOL PMSPM PNPCN PRPRI PSPSE PTPRT PWPLW PYPRY QAQAT REREU ROROU RSSRB RURUS RWRWA ' +
  'SASAU SBSLB SCSYC SDSDN SESWE SGSGP SHSHN SISVN SJSJM SKSVK SLSLE SMSMR SNSEN SOSOM SRSUR SSSSD ' +
  'STSTP SVSLV SXSXM SYSYR SZSWZ TCTCA TDTCD TFATF TGTGO THTHA TJTJK TKTKL TLTLS TMTKM TNTUN TOTON ' +
  'TRTUR TTTTO TVTUV TWTWN TZTZA UAUKR UGUGA UMUMI USUSA UYURY UZUZB VAVAT VCVCT VEVEN VGVGB VIVIR ' +
  'VNVNM VUVUT WFWLF WSWSM YEYEM YTMYT ZAZAF ZMZMB ZWZWE';

const ALPHA2 = new Set<string>();
const ALPHA3_TO_ALPHA2 = new Map<string, string>();
for (const pair of ISO_3166_1.split(' ')) {
  ALPHA2.add(pair.slice(0, 2));
  ALPHA3_TO_ALPHA2.set(pair.slice(2), pair.slice(0, 2));
}

/** Number of ISO 3166-1 entries shipped (a test pins it so a truncated table is noticed). */
export const ISO_COUNTRY_COUNT = ALPHA2.size;

/** True for an officially assigned ISO 3166-1 alpha-2 code (upper case). */
export function isIsoAlpha2(code: string): boolean {
  return ALPHA2.has(code);
}

/**
 * The alpha-2 code for an MRZ state code, or `XX` when it is not a country: ICAO's own codes
 * (`UTO` for the specimen state Utopia, `XXA` stateless, `UNO` United Nations, `EUE` European
 * Union and so on) have none. Germany is written `D` (padded `D<<`) and the five British
 * nationality codes `GBD`, `GBN`, `GBO`, `GBP`, `GBS` stand for GB (Doc 9303 Part 3, 5.1).
 */
export function mrzStateToAlpha2(code: string): string {
  const trimmed = code.replace(/<+$/, '');
  if (trimmed === 'D') return 'DE';
  if (/^GB[DNOPS]$/.test(trimmed)) return 'GB';
  return ALPHA3_TO_ALPHA2.get(trimmed) ?? 'XX';
}
