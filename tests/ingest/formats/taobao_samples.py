"""Taobao / Tmall header lists and raw rows exactly as FORMATS.md §1.1 quotes them."""

from __future__ import annotations

from .support import header_list

LAYOUT_A = header_list(
    """订单编号, 买家会员名, 买家支付宝账号, 买家应付货款, 买家应付邮费, 买家支付积分, 总金额,
返点积分, 买家实际支付金额, 买家实际支付积分, 订单状态, 买家留言, 收货人姓名, 收货地址␠,
运送方式, 联系电话␠, 联系手机, 订单创建时间, 订单付款时间␠, 宝贝标题␠, 宝贝种类␠,
物流单号␠, 物流公司, 订单备注, 宝贝总数量, 店铺Id, 店铺名称, 订单关闭原因, 卖家服务费,
买家服务费, 发票抬头, 是否手机订单, 分阶段订单信息, 特权订金订单id, 定金排名,
修改后的sku, 修改后的收货地址, 异常信息, 天猫卡券抵扣, 集分宝抵扣, 是否是O2O交易"""
)
_AFTER_DEPOSIT_ID = LAYOUT_A.index("特权订金订单id") + 1
LAYOUT_B = [
    *LAYOUT_A[:_AFTER_DEPOSIT_ID],
    *["是否上传合同照片", "是否上传小票", "是否代付"],
    *LAYOUT_A[_AFTER_DEPOSIT_ID:],
    *["退款金额", "预约门店"],
]
LAYOUT_C = header_list(
    """订单编号, 买家会员名, 买家支付宝账号, 支付单号, 支付详情, 买家应付货款, 买家应付邮费,
买家支付积分, 总金额, 返点积分, 买家实际支付金额, 买家实际支付积分, 订单状态, 买家留言,
收货人姓名, 收货地址␠, 运送方式, 联系电话␠, 联系手机, 订单创建时间, 订单付款时间␠,
宝贝标题␠, 宝贝种类␠, 物流单号␠, 物流公司, 订单备注, 宝贝总数量, 店铺Id, 店铺名称,
订单关闭原因, 卖家服务费, 买家服务费, 发票抬头, 是否手机订单, 分阶段订单信息,
特权订金订单id, 是否上传合同照片, 是否上传小票, 是否代付, 定金排名, 修改后的sku,
修改后的收货地址, 异常信息, 天猫卡券抵扣, 集分宝抵扣, 是否是O2O交易, 新零售交易类型,
新零售导购门店名称, 新零售导购门店id, 新零售发货门店名称, 新零售发货门店id, 退款金额,
预约门店, 确认收货时间, 打款商家金额, 含应开票给个人的个人红包, 是否信用购,
体验期结束时间, 前N有礼, 配送类型, 主订单编号"""
)
LAYOUT_D_ORDERS = header_list(
    """订单编号, 支付单号, 买家应付货款, 买家应付邮费, 总金额, 买家实付金额, 订单状态,
收货地址, 运送方式, 订单创建时间, 商品标题, 宝贝种类, 物流单号, 物流公司, 备注标签,
商家备注, 宝贝总数量, 开票信息, 手机订单, 商品属性SKU, 发货时间"""
)
LAYOUT_D_LINES = header_list(
    """子订单编号, 主订单编号, 商品标题, 购买数量, 商家编码, 商品属性, 订单状态, 买家应付货款,
买家实付金额, 打款商家金额, 退款金额, 订单创建时间"""
)
DETAIL_2017 = header_list(
    "订单编号, 标题, 价格, 购买数量, 外部系统编号, 商品属性, 套餐信息, 备注, 订单状态, 商家编码"
)
DETAIL_2019 = header_list(
    """子订单编号, 主订单编号, 标题, 价格, 购买数量, 外部系统编号, 商品属性, 套餐信息, 备注,
订单状态, 商家编码, 支付单号, 买家应付货款, 买家实际支付金额, 退款状态, 退款金额,
订单创建时间, 订单付款时间"""
)

# FORMATS.md §1.1 B: the raw row prefix and suffix, verbatim; the elided middle columns filled.
ROW_B_PREFIX = (
    '="35153131473293579","tb6125470","1432480331@qq.com","201.12","0.00","0","201.12","0",'
    '"201.12","0","买家已付款，等待卖家发货","","薛先生langer",'
    '"广东省 广州市 越秀区 …31楼3101(510180)",'
    '"快递","","\'13925130165","2017-07-08 00:42:32","2017-07-08 00:42:39",'
)
ROW_B_MIDDLE_1 = '"【顺丰包邮】雪平锅","1","","","","1","","雪平锅旗舰店",'
ROW_B_MIDDLE_2 = (
    '"订单未关闭","0","0元","","手机订单","",="","否","否","否","","","","","0.00","0.00","否",'
)
ROW_B_SUFFIX = '"0.00",""'
ROW_B = ROW_B_PREFIX + ROW_B_MIDDLE_1 + ROW_B_MIDDLE_2 + ROW_B_SUFFIX

# FORMATS.md §1.1 E: the 2017 detail row verbatim (note the trailing comma).
DETAIL_2017_ROW = (
    '="35153131473293579","【顺丰包邮】…雪平锅不锈钢","239.00","1","YO-PAN-20-WITHGLASS",'
    '"颜色分类：20厘米锅-第三方玻璃盖","","","买家已付款，等待卖家发货","YO-PAN-20-WITHGLASS",'
)


def b_row(order_id: str, paid: str, status: str, refund: str, created: str, paid_at: str) -> str:
    """A layout-B raw line like ROW_B with a few values changed."""
    line = ROW_B.replace('="35153131473293579"', order_id, 1)
    line = line.replace('"201.12","0","买家已付款，等待卖家发货"', f'"{paid}","0","{status}"', 1)
    line = line.replace('"2017-07-08 00:42:32","2017-07-08 00:42:39"', f'"{created}","{paid_at}"')
    return line.removesuffix(ROW_B_SUFFIX) + f'"{refund}",""'
