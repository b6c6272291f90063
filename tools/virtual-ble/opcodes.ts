/**
 * HCI numbers the virtual controller speaks (Core Spec Vol 4 Part E): H4 packet indicators,
 * command opcodes (OGF << 10 | OCF), event codes and LE meta sub-events. Names are for traces.
 */
export const H4_COMMAND = 0x01;
export const H4_ACL = 0x02;
export const H4_EVENT = 0x04;

export const OP = {
  DISCONNECT: 0x0406,
  SET_EVENT_MASK: 0x0c01,
  RESET: 0x0c03,
  SET_EVENT_FILTER: 0x0c05,
  READ_LE_HOST_SUPPORTED: 0x0c6c,
  WRITE_LE_HOST_SUPPORTED: 0x0c6d,
  READ_LOCAL_VERSION: 0x1001,
  READ_BUFFER_SIZE: 0x1005,
  READ_BD_ADDR: 0x1009,
  READ_RSSI: 0x1405,
  LE_SET_EVENT_MASK: 0x2001,
  LE_READ_BUFFER_SIZE: 0x2002,
  LE_READ_LOCAL_FEATURES: 0x2003,
  LE_SET_RANDOM_ADDRESS: 0x2005,
  LE_SET_ADV_PARAMS: 0x2006,
  LE_SET_ADV_DATA: 0x2008,
  LE_SET_SCAN_RSP_DATA: 0x2009,
  LE_SET_ADV_ENABLE: 0x200a,
  LE_SET_SCAN_PARAMS: 0x200b,
  LE_SET_SCAN_ENABLE: 0x200c,
  LE_CREATE_CONN: 0x200d,
  LE_CREATE_CONN_CANCEL: 0x200e,
  LE_CONN_UPDATE: 0x2013,
  LE_SET_DATA_LENGTH: 0x2022,
  LE_READ_MAX_DATA_LENGTH: 0x202f,
  /** Linux Foundation vendor command (manufacturer 1521): write BD_ADDR */
  VS_WRITE_BD_ADDR: 0xfc06,
} as const;

export const EVT = {
  DISCONNECTION_COMPLETE: 0x05,
  COMMAND_COMPLETE: 0x0e,
  COMMAND_STATUS: 0x0f,
  NUMBER_OF_COMPLETED_PACKETS: 0x13,
  LE_META: 0x3e,
} as const;

export const LE_SUB = {
  CONNECTION_COMPLETE: 0x01,
  ADVERTISING_REPORT: 0x02,
  CONNECTION_UPDATE_COMPLETE: 0x03,
} as const;

/** advertising PDU types of LE Set Advertising Parameters, and report event types */
export const ADV = { IND: 0x00, DIRECT_IND: 0x01, SCAN_IND: 0x02, NONCONN_IND: 0x03, SCAN_RSP: 0x04 } as const;

/** HCI status and reason codes used here */
export const STATUS = {
  SUCCESS: 0x00,
  UNKNOWN_COMMAND: 0x01,
  UNKNOWN_CONNECTION: 0x02,
  COMMAND_DISALLOWED: 0x0c,
  CONNECTION_TIMEOUT: 0x08,
  REMOTE_USER_TERMINATED: 0x13,
  LOCAL_HOST_TERMINATED: 0x16,
} as const;

/** ACL packet-boundary flags */
export const PB = { FIRST_NON_FLUSHABLE: 0b00, CONTINUATION: 0b01, FIRST_FLUSHABLE: 0b10 } as const;

const names = new Map<number, string>(Object.entries(OP).map(([k, v]) => [v, k]));
export function opName(opcode: number): string {
  return names.get(opcode) ?? `0x${opcode.toString(16).padStart(4, '0')}`;
}
