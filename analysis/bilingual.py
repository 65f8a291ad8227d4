"""Every header, heading and fixed phrase the evidence shows, Chinese with English beside, defined once.

The workbook's sheets, the page's tables and headings, findings.json and the console
summary all take their wording from here, so a header reads the same in every output
(and a change is made once). Labels of values (severity, PII types, SDKs) and the
sentences built from a finding are in ``analysis.labels``.
"""

from __future__ import annotations


def both(zh: str, en: str) -> str:
    """'中文 / English', the form of every header."""
    return f"{zh} / {en}"


# -- columns shared by several tables -----------------------------------------------
TIME = both("时间", "Time")
EPOCH = both("纪元秒", "Epoch (s)")
FLOW_ID = both("流量编号", "Flow ID")
EVENT_ID = both("事件编号", "Event ID")
PII_TYPE = both("个人信息类型", "PII type")
ACTOR = both("行为主体", "Actor (SDK or app)")
HOST = both("主机", "Host")
HOST_HEADER = both("Host请求头", "Host header")
PARTY = both("主体类别", "Party")
PARTY_REASON = both("归属依据", "Attribution reason")
KIND = both("类型", "Kind")
PROCESS = both("进程", "Process")
DETAIL = both("详情", "Detail")
STATUS = both("状态", "Status")
VALUE_SHA = both("值SHA-256", "Value SHA-256")
VALUE_MASKED = both("值（已脱敏）", "Value (masked)")
VALUE_REVEALED = both("值（明文）", "Value (revealed)")
BEFORE = both("同意前", "Before consent")
URL, API = "URL", "API"


def value_header(reveal: bool) -> str:
    return VALUE_REVEALED if reveal else VALUE_MASKED


# -- Findings -----------------------------------------------------------------------
NUMBER = both("编号", "No.")
RULE_ID = both("规则编号", "Rule ID")
CATEGORY = both("类别", "Category")
TITLE_ZH = both("中文标题", "Title (zh)")
TITLE_EN = both("英文标题", "Title (en)")
LEGAL_BASIS = both("法律依据", "Legal basis")
SEVERITY = both("严重程度", "Severity")
FIRST_TIME = both("首次时间", "First time")
FIRST_EPOCH = both("首次时间（纪元秒）", "First (epoch s)")
FLOW_IDS = both("流量证据", "Flow IDs")
EVENT_IDS = both("事件证据", "Event IDs")
READ_SENT = both("读取→发送", "Read → sent")
NOTES = both("说明", "Notes")

# -- Findings per rule ----------------------------------------------------------------
FINDINGS_COUNT = both("发现数", "Findings")
REASON = both("说明", "Reason")

# -- Flows ----------------------------------------------------------------------------
METHOD = both("方法", "Method")
HTTP_STATUS = both("状态码", "Status")
DIRECTION = both("方向", "Direction")
LOCATION = both("位置", "Location")
ENCODING = both("编码", "Encoding")
MATCH_SOURCE = both("匹配来源", "Match source")
ATTRIBUTED_SDK = both("归属SDK", "Attributed SDK")
REQUEST_SHA = both("请求SHA-256", "Request SHA-256")
RESPONSE_SHA = both("响应SHA-256", "Response SHA-256")

# -- Sent by SDK (endpoint field maps) --------------------------------------------------
SDK = both("发送方SDK", "SDK")
ENDPOINT = both("接口", "Endpoint")
DATA_KIND = both("数据类型", "Kind")
ATTRIBUTE = both("设备/环境属性", "Device or context attribute")
FIELD = both("字段", "Field")
FLOW_COUNT = both("流量数", "Flows")
DT_CONSENT = both("距同意时刻（秒）", "Δt to consent (s)")
FIELD_SOURCE = both("字段依据", "Field documented by")
SENT_BY_SDK_SHEET = "SDK发送的数据 (Sent by SDK)"   # a sheet name may not hold '/'
SENT_BY_SDK_HEADING = both("SDK发送的数据", "Sent by SDK")
SENT_BY_SDK_NOTE = both("按已知接口字段（端点字段映射）识别，无需设备档案；设备/环境属性不单独构成发现",
                        "found by the endpoint field maps of known SDK endpoints, no device profile needed; "
                        "device and context attributes never make a finding on their own")
NO_SENT_BY_SDK = both("未识别到已知SDK接口字段", "no field of a known SDK endpoint seen")
DOCUMENTED_FIELD = both("文档字段", "documented field")

# -- API events -----------------------------------------------------------------------
CALLER_SDK = both("调用方SDK", "Caller SDK")
THREAD = both("线程", "Thread")
CLOCK_ERROR = both("时钟误差 ms", "Clock error (ms)")
DEVICE_TIME = both("设备时间 ms", "Device time (ms)")
STACK = both("调用栈摘录", "Stack excerpt")

# -- Timeline -------------------------------------------------------------------------
STREAM = both("来源", "Stream")
API_OR_URL = both("接口或请求", "API or URL")

# -- Hooks ----------------------------------------------------------------------------
HOOK = both("钩子", "Hook")
CLASS = both("类", "Class")
OVERLOAD = both("重载", "Overload")
LIVE_AT = both("生效时间", "Live at")
LIVE_EPOCH = both("生效（纪元秒）", "Live (epoch s)")
ERROR = both("错误", "Error")

# -- Summary --------------------------------------------------------------------------
ITEM, VALUE = both("项目", "Item"), both("值", "Value")
REPORT = both("报告", "Report")
SESSION = both("会话", "Session")
APP = "App"
APP_TYPE = both("App类型", "App type")
APP_VERSION = both("应用版本", "App version")
APK_SHA256 = both("安装包SHA-256", "APK SHA-256")
SIGNING_CERTIFICATES = both("签名证书SHA-256", "Signing certificates (SHA-256)")
SDK_LEVELS = both("SDK版本要求", "SDK levels")
IDENTITY_SOURCE = both("身份来源", "Identity source")
TESTER = both("测试人员", "Tester")
TEST_DATE = both("测试时间", "Test date")
RECORDED_ZONE = both("记录机时区", "Recording machine's zone")
DEVICE = both("设备", "Device")
DEVICE_BUILD = both("设备版本号", "Device build")
CONSENT_TIME = both("同意时刻", "Consent time")
CONSENT_EPOCH = both("同意时刻（纪元秒）", "Consent (epoch s)")
CONSENT_DECISION = both("同意判定", "Consent decision")
CONSENT_SOURCE = both("同意来源", "Consent source")
CONSENT_EVIDENCE = both("同意证据", "Consent evidence")
PRIVACY_NOTICE = both("隐私弹窗", "Privacy notice")
DECLINED = both("拒绝", "Declined")
SCOPE = both("范围文件", "Scope")
COUNTS = both("统计", "Counts")
TESTER_OBSERVATIONS = both("测试人员观察", "Tester observations")
CLOCKS = both("时钟", "Clocks")
TIME_ZONE = both("时区", "Time zone")
VALUES_SHOWN = both("值显示", "Values")
VERSIONS = both("工具版本", "Versions")
HOOKS_READY = both("钩子就绪", "Hooks ready")
HOOK_COVERAGE = both("钩子覆盖", "Hook coverage")
RESULT = both("结论", "Result")
NOTE = both("说明", "Note")
RULE_FAILED = both("规则失败", "Rule failed")
ROWS_LEFT_OUT = both("未写入的行", "Rows left out")
ROWS_IN_CSV = both("完整表格（CSV）", "Whole table (CSV)")

# -- headings and phrases -------------------------------------------------------------
TITLE = both("个人信息合规审计报告", "PII compliance audit report")
EVIDENCE_TITLE = both("个人信息合规审计证据", "PII compliance audit evidence")
SUMMARY_HEADING = both("概要", "Summary")
PER_RULE_HEADING = both("各规则发现数", "Findings per rule")
FINDINGS_HEADING = both("发现", "Findings")
HOOKS_HEADING = both("钩子覆盖", "Hooks")
TIMELINE_HEADING = both("时间线", "Timeline")
EVIDENCE = both("证据", "Evidence")
FIRST = both("首次", "first")
PARAPHRASE = f"（{both('要旨', 'paraphrase')}）"
EMPTY_SESSION = both("会话为空：没有流量、钩子事件或同意标记，无可分析内容",
                     "the session is empty: no flows, hook events or consent marks — nothing to analyse")
NO_FINDINGS = both("未发现问题", "no findings")
NO_HOOK_EVENTS = both("未记录钩子覆盖事件", "no hook coverage events recorded")
TRUNCATED = " …[truncated / 已截断]"

# -- the session's own state (analysis.sessionstate) ------------------------------------
SESSION_STATE = both("会话状态", "Session state")
PARTIAL_SESSION = both("不完整的会话", "partial session")
COMPLETE_SESSION = both("完整：每次记录均正常结束", "complete: every recording ended cleanly")
ACCOUNTING = both("记录核算", "Accounting")
ACCOUNTING_SHEET = "Accounting"
STAGE = both("阶段", "Stage")
OUTCOME = both("结果", "Outcome")
WHAT = both("对象", "What")
COUNT = both("数量", "Count")
ACCEPTED_CHANGES = both("已接受的改动", "Changes accepted")

# -- workbook navigation, severity and manifest -------------------------------------------
CITED_BY = both("引用的发现", "Cited by findings")
EVIDENCE_LINKS = both("证据链接", "Evidence links")
EVIDENCE_SHEET = "Evidence links"
EVIDENCE_KIND = both("证据类型", "Evidence kind")
EVIDENCE_ID = both("证据编号", "Evidence ID")
FINDING = both("发现编号", "Finding")
SEVERITY_LEGEND = both("严重程度图例", "Severity legend")
SEVERITY_MEANING = {       # the fill of a finding's row (analysis.workbook.SEVERITY_FILLS)
    "high": both("红色：严重程度高", "red: high severity"),
    "medium": both("橙色：严重程度中", "orange: medium severity"),
    "low": both("绿色：严重程度低", "green: low severity"),
}
CONSENT_LEGEND = (both("同意时刻", "consent moment"), both("黄色：时间线中的同意时刻", "yellow: the consent moment in the Timeline"))
LINKS_CAPPED = both("超出Excel每表超链接上限的行仅以文字列出编号",
                    "rows beyond Excel's hyperlink limit per sheet list the numbers as text only")
MANIFEST_SHEET = "Manifest"
SECTION = both("部分", "Section")
FIELD_NAME = both("名称", "Name")
MANIFEST_VALUE = both("值或SHA-256", "Value or SHA-256")
BYTES = both("字节数", "Bytes")
MANIFEST_OUTPUTS_NOTE = both(
    "本报告的输出（evidence.xlsx、report.html、findings.json）在写入后才计算哈希，见随后更新的manifest.json",
    "this report's own outputs (evidence.xlsx, report.html, findings.json) are hashed after they are "
    "written: see manifest.json as updated after them")
NO_MANIFEST = both("会话中没有manifest.json", "the session has no manifest.json")
NO_APP_IDENTITY = both("未记录应用身份（record/analyze --apk）", "no app identity recorded (record/analyze --apk)")
APP_IDENTITY_FROM_META = both("读自会话的app_manifest元数据", "read from the session's app_manifest meta row")

# manifest.json's and the app identity's field names, in the order the Manifest sheet lists them
MANIFEST_FIELDS: dict[str, tuple[str, str]] = {
    "name": ("应用名称", "app name"), "package": ("包名", "package"), "category": ("App类型", "app type"),
    "version_name": ("版本名", "version name"), "version_code": ("版本号", "version code"),
    "sha256": ("文件SHA-256", "file SHA-256"), "file": ("文件", "file"), "source": ("来源", "source"),
    "certificates": ("签名证书SHA-256", "signing certificate SHA-256"), "min_sdk": ("最低SDK版本", "min SDK"),
    "target_sdk": ("目标SDK版本", "target SDK"), "permissions": ("声明的权限", "declared permissions"),
    "components": ("组件", "components"), "recorded_at": ("记录时间", "recorded at"),
    "created": ("创建时间", "created"), "updated": ("更新时间", "updated"),
    "schema_version": ("数据库结构版本", "schema version"), "writes": ("写入次数", "writes"),
    "counts": ("行数", "rows"), "android": ("Android版本", "Android"), "kind": ("类型", "kind"),
    "manufacturer": ("制造商", "manufacturer"), "model": ("型号", "model"),
}


def field_label(key: str) -> str:
    """A manifest field's name, '中文 / English' when listed, else as it is."""
    pair = MANIFEST_FIELDS.get(key)
    return both(*pair) if pair else key


# -- values that were English only: statuses, directions, sources, streams, kinds -------------
# One table: field -> stored value -> (中文, English). A value not listed is shown as stored.
VALUES: dict[str, dict[str, tuple[str, str]]] = {
    "status": {                       # hook coverage (analysis.coverage) and rules (analysis.pipeline)
        "hooked": ("已挂钩", "hooked"), "class-missing": ("类不存在", "class-missing"),
        "method-missing": ("方法不存在", "method-missing"), "hook-failed": ("挂钩失败", "hook-failed"),
        "run": ("已运行", "run"), "not run": ("未运行", "not run"), "failed": ("执行失败", "failed"),
        "disabled": ("已停用", "disabled"),
    },
    "direction": {"request": ("请求", "request"), "response": ("响应", "response")},
    "source": {                       # pii_hits.source (piiaudit.schema)
        "known_value": ("已知值（设备档案）", "known value (device profile)"),
        "observed_value": ("钩子读取的值", "value the hooks read"),
        "endpoint": ("已知接口字段", "documented endpoint field"),
        "pattern": ("格式匹配", "pattern"),
    },
    "stream": {"event": ("钩子事件", "hook event"), "flow": ("网络流量", "network flow"),
               "consent": ("同意时刻", "consent moment")},
    "party": {"first_party": ("第一方", "first party"), "third_party": ("第三方", "third party"),
              "unknown": ("未知", "unknown")},
    "stage": {"proxy": ("代理", "proxy"), "replay": ("回放", "replay"), "hooks": ("钩子", "hooks"),
              "analysis": ("分析", "analysis"), "other": ("其他", "other")},
    "outcome": {"stored": ("已存储", "stored"), "skipped": ("已跳过", "skipped"), "failed": ("失败", "failed"),
                "capped": ("达到上限", "capped")},
    "what": {"flows": ("流量", "flows"), "pii_hits": ("个人信息命中", "PII hits"), "events": ("钩子事件", "hook events"),
             "errors": ("错误", "errors"), "scans": ("扫描", "scans"), "consent_marks": ("同意标记", "consent marks"),
             "clock_syncs": ("时钟同步", "clock syncs")},
    "consent_source": {               # analysis.consent: who decided the consent moment
        "hook": ("钩子", "hook"), "tester": ("测试人员", "tester"), "analyze": ("分析参数", "analyze option"),
        "automation": ("UI自动化", "UI automation"),
    },
    "consent_method": {
        "dialog_tap": ("点击弹窗按钮", "dialog_tap"), "hook_mark": ("钩子同意标记", "hook_mark"),
        "pref_write": ("同意标志写入", "pref_write"), "tester_mark": ("测试人员标记", "tester_mark"),
        "override": ("分析时指定", "override"), "automation_tap": ("UI自动化点击", "automation_tap"),
        "none": ("无", "none"),
    },
    "ui_purpose": {                   # ui_actions.purpose (piiaudit.schema; analysis.screens)
        "consent_accept": ("同意隐私政策", "consent: accept"), "consent_decline": ("拒绝隐私政策", "consent: decline"),
        "consent_second_prompt": ("二次弹窗", "consent: second prompt"),
        "consent_checkbox_noted": ("已预先勾选（未点击）", "consent: pre-ticked box noted, not tapped"),
        "permission_allow": ("允许权限", "permission: allow"), "permission_deny": ("拒绝权限", "permission: deny"),
        "explore": ("浏览应用", "explore"), "refused_unsafe": ("拒绝执行（支付、发送或呼叫）", "refused (pays, sends or calls)"),
    },
    "ui_action": {"tap": ("点击", "tap"), "back": ("返回", "back"), "swipe": ("滑动", "swipe"),
                  "none": ("未操作", "no action")},
    "screen_cause": {                 # screens.cause
        "dialog": ("弹窗出现", "dialog shown"), "before_tap": ("点击前", "before the tap"),
        "after_tap": ("点击后", "after the tap"), "permission_prompt": ("权限弹窗", "permission prompt"),
        "explore": ("浏览", "exploring"), "end": ("结束", "the end"), "recording": ("录屏", "screen recording"),
    },
    "consent_by": {                   # analysis.screens.consent_given: who gave the decision
        "automation": ("UI自动化", "UI automation"), "hook": ("设备上的点击（钩子观察）", "a tap on the device, seen by the hooks"),
        "tester": ("测试人员", "the tester"),
    },
    "kind": {                         # hook event kinds (hooks/data/hook_table.yaml) and timeline kinds
        "pii_read": ("读取个人信息", "PII read"), "pii_sent": ("发送个人信息", "PII sent"),
        "request": ("请求", "request"), "consent_accepted": ("同意", "consent accepted"),
        "consent_declined": ("拒绝", "consent declined"),
        "activity_state": ("界面状态", "activity state"), "checkbox": ("勾选框", "checkbox"), "click": ("点击", "click"),
        "component_launch": ("组件启动", "component launch"), "crypto": ("加密调用", "crypto call"),
        "dialog_button": ("弹窗按钮", "dialog button"), "dialog_closed": ("弹窗关闭", "dialog closed"),
        "dialog_shown": ("弹窗显示", "dialog shown"), "hooks_ready": ("钩子就绪", "hooks ready"),
        "link_click": ("链接点击", "link click"), "permission_check": ("权限检查", "permission check"),
        "permission_rationale": ("权限说明", "permission rationale"),
        "permission_request": ("权限申请", "permission request"), "permission_result": ("权限结果", "permission result"),
        "pref_commit": ("偏好提交", "preference commit"), "pref_write": ("偏好写入", "preference write"),
        "process_exit": ("进程退出", "process exit"), "process_start": ("进程启动", "process start"),
        "target_exit": ("应用退出", "app exit"), "toast_shown": ("提示显示", "toast shown"),
        "touch": ("触摸", "touch"), "app_exit": ("应用退出调用", "app exit call"),
        "dialog_fragment": ("弹窗片段", "dialog fragment"), "sms_send": ("发送短信", "SMS send"),
        "tls_read": ("TLS读取", "TLS read"), "tls_write": ("TLS写入", "TLS write"),
        "uncaught_exception": ("未捕获异常", "uncaught exception"), "webview_load": ("网页加载", "WebView load"), "coverage": ("钩子覆盖", "hook coverage"),
    },
}


def value_label(field: str, value: object) -> object:
    """'中文 / English' for a stored value of `field` (VALUES); a value not listed, or missing, as it is."""
    if not isinstance(value, str):
        return value
    pair = VALUES.get(field, {}).get(value)
    return both(*pair) if pair else value
# -- the UI automation's actions and captures (analysis.screens) ------------------------------
UI_ACTIONS_SHEET = "UI actions"
SCREENS_SHEET = "Screens"
STEP = both("步骤", "Step")
UI_ACTION_ID = both("操作编号", "Action ID")
UI_ACTION = both("操作", "Action")
UI_PURPOSE = both("目的", "Purpose")
UI_TARGET = both("操作对象", "Target")
UI_TARGET_CLASS = both("控件类", "Class")
UI_TARGET_ID = both("资源ID", "Resource ID")
UI_XY = both("坐标", "x, y")
SCREEN_FILE = both("截图文件", "Screenshot file")
SCREEN_ID = both("截图编号", "Capture ID")
SCREEN_CAUSE = both("截图原因", "Taken at")
SCREEN_SIZE = both("尺寸", "Size")
SHA256 = both("文件哈希 SHA-256", "File SHA-256")
CONSENT_BY = both("同意方式", "Consent given by")
CONSENT_PATH = both("同意路径", "Consent path")
UI_HEADING = both("界面自动化与截图", "UI automation and screenshots")
SCREENS_OF_MOMENT = both("当时的画面", "The screen at that moment")
NO_AUTOMATION = both("本会话没有界面自动化操作或截图", "no UI automation and no screenshots in this session")
SCREEN_MISSING = both("文件缺失", "file missing")
SCREENS_NOT_EMBEDDED = ("另有 {n} 张截图未嵌入本页（页面大小上限），点击文件名打开 / {n} screenshots not embedded "
                        "in this page (its size limit): open them by their file names")

# -- the page (analysis.htmlpage, analysis.timelinechart) ---------------------------------
APP_IDENTITY = both("被测应用", "App under test")
CONSENT_HEADING = both("隐私政策同意", "Consent to the privacy policy")
COUNTS_HEADING = both("各类别与严重程度的发现数", "Findings per category and severity")
TOTAL = both("合计", "Total")
SESSION_DETAILS = both("会话详情", "Session details")
ROLE = both("角色", "Role")
ROLES = {"read": both("读取", "read"), "send": both("发送", "send"), "event": both("事件", "event"),
         "tester": both("测试员观察", "tester's observation"), "manifest": both("清单声明", "manifest entry"),
         "context": both("背景", "context")}
SOURCE_ROW = both("证据行", "Evidence row")
WHAT_ROW = both("内容", "What")
DT_REFUSAL = both("距拒绝时刻（秒）", "Δt to refusal (s)")
MORE_EVIDENCE = "另有 {n} 行证据见 evidence.xlsx / {n} more evidence rows in evidence.xlsx"
SCREENSHOTS = both("截图", "Screenshots")
LEGAL_BASIS_HEADING = both("法律依据", "Legal basis")
CHART_CONSENT = both("同意", "consent")
CHART_DECLINED = both("拒绝", "refused")
CHART_READ = both("读取个人信息", "PII read")
CHART_SEND = both("发送个人信息", "PII sent")
CHART_PERMISSION = both("权限申请", "permission prompt")
CHART_REQUEST = both("无个人信息的请求", "request without PII")
CHART_EVENT = both("其他钩子事件", "other hook event")
CHART_NOTE = both("悬停标记可查看名称；点击跳转至附录中的对应行",
                  "hover over a mark to name it; click it to jump to its row in the appendix")
CHART_LEFT_OUT = "图中省略了 {n} 个标记（完整时间线见 evidence.xlsx）/ {n} marks left out (the full timeline is in evidence.xlsx)"
APPENDIX = both("附录", "Appendix")
ALL_FLOWS = both("全部流量", "All flows")
ALL_EVENTS = both("全部钩子事件", "All hook events")
MANIFEST_HEADING = both("清单", "Manifest")
ARTIFACTS = both("文件及其SHA-256（manifest.json）", "Files and their SHA-256 (manifest.json)")
FILE = both("文件", "File")
BYTES = both("字节", "Bytes")
APP_MANIFEST = both("应用清单（AndroidManifest.xml）", "The app's manifest (AndroidManifest.xml)")
PERMISSIONS_DECLARED = both("声明的权限", "Declared permissions")
COMPONENTS = both("组件", "Components")
CHARS = "{n} 字符 / chars"
ROWS = "{n} 行 / rows"
PAGE = both("页", "page")
