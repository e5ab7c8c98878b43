import { AppError } from './errors.js';

export const ROOM_TYPES = ['Normal', 'Auditorium'] as const;
export type RoomType = (typeof ROOM_TYPES)[number];

export const ROOM_PRIVACIES = ['Open', 'Closed', 'Secret'] as const;
export type RoomPrivacy = (typeof ROOM_PRIVACIES)[number];

/** A room can only switch invitations off; `Inherit` follows its category. */
export const ROOM_INVITATIONS = ['Inherit', 'False'] as const;
export type RoomInvitations = (typeof ROOM_INVITATIONS)[number];

export const ROOM_DEFAULTS = {
  type: 'Normal' as RoomType,
  privacy: 'Closed' as RoomPrivacy,
  invitations: 'Inherit' as RoomInvitations,
  disabled: false,
};

export const CATEGORY_DEFAULTS = {
  invitations: false,
  fileUpload: false,
  chatHistory: true,
};

/** Case-insensitive parse of an enumeration value, answering with the canonical spelling. */
export function parseEnum<T extends string>(
  raw: string,
  values: readonly T[],
  what: string,
): T {
  const found = values.find((v) => v.toLowerCase() === raw.trim().toLowerCase());
  if (found === undefined) {
    throw new AppError('INVALID_VALUE', `${what} must be one of ${values.join(', ')} (got '${raw}')`);
  }
  return found;
}

export function parseRoomType(raw: string): RoomType {
  return parseEnum(raw, ROOM_TYPES, 'room type');
}

export function parseRoomPrivacy(raw: string): RoomPrivacy {
  return parseEnum(raw, ROOM_PRIVACIES, 'room privacy');
}

export function parseRoomInvitations(raw: string): RoomInvitations {
  if (/^true$/i.test(raw.trim())) {
    throw new AppError(
      'INVALID_VALUE',
      "a room's invitations can only be Inherit (follow the category) or False; switch them on at the category",
    );
  }
  return parseEnum(raw, ROOM_INVITATIONS, 'room invitations');
}

/** Invitations are sent for a room only when its category allows them and it inherits. */
export function invitationsEffective(room: RoomInvitations, categoryInvitations: boolean): boolean {
  return categoryInvitations && room === 'Inherit';
}
