import type { Db } from './client';
import {
  deadlineClasses,
  departments,
  partnerServices,
  partners,
  serviceItems,
  stations,
  subdistricts,
  whistleUrgencies,
} from './schema';

/**
 * Demo master data for the Qianggen pilot, written idempotently: rows that exist are left as an admin
 * may have edited them, missing ones are added.
 */
export const demo = {
  subdistricts: [{ id: 'xinjiekou', name: 'Xinjiekou Subdistrict', nameZh: '新街口街道' }],
  stations: [
    { id: 'qianggen', subdistrictId: 'xinjiekou', name: 'Qianggen Community Service Station', nameZh: '前根社区服务站', casePrefix: 'QG' },
  ],
  departments: [
    { id: 'housing', subdistrictId: 'xinjiekou', name: 'Housing and Construction', nameZh: '住房和城乡建设' },
    { id: 'urban-management', subdistrictId: 'xinjiekou', name: 'Urban Management and Law Enforcement', nameZh: '城市管理综合执法' },
    { id: 'water', subdistrictId: 'xinjiekou', name: 'Water Affairs', nameZh: '水务' },
    { id: 'civil-affairs', subdistrictId: 'xinjiekou', name: 'Civil Affairs', nameZh: '民政' },
  ],
  partners: [
    // Demo addresses (.example): without SMTP_URL, development mail is written under DATA_DIR/mail.
    { id: 'anju-repair', kind: 'service-agency' as const, name: 'Anju Home Repair Co.', nameZh: '安居家庭维修公司', channels: [{ type: 'email' as const, address: 'dispatch@anju-repair.example' }] },
    { id: 'qianggen-handy-help', kind: 'handy-help-outlet' as const, name: 'Qianggen Handy-Help Outlet', nameZh: '前根便民服务点', channels: [{ type: 'email' as const, address: 'outlet@qianggen-handy-help.example' }] },
    { id: 'xicheng-legal-aid', kind: 'institution' as const, name: 'Xicheng Legal Aid Centre', nameZh: '西城区法律援助中心', locale: 'zh-CN' as const, channels: [{ type: 'email' as const, address: 'intake@xicheng-legal-aid.example' }] },
    { id: 'red-armband-volunteers', kind: 'volunteer-organisation' as const, name: 'Red Armband Volunteer Team', nameZh: '红袖标志愿者队', channels: [{ type: 'email' as const, address: 'team@red-armband.example' }] },
  ],
  partnerServices: [
    { partnerId: 'anju-repair', serviceCode: 'home-plumbing-repair' },
    { partnerId: 'qianggen-handy-help', serviceCode: 'home-plumbing-repair' },
    { partnerId: 'xicheng-legal-aid', serviceCode: 'legal-consultation' },
    { partnerId: 'red-armband-volunteers', serviceCode: 'volunteer-registration' },
  ],
  deadlineClasses: [
    { code: 'emergency', name: 'Emergency / life safety', nameZh: '紧急（涉及生命安全）', responseGoal: 1, responseUnit: 'hours' as const, resolutionGoal: 2, resolutionUnit: 'hours' as const, escalateOnBreach: true, idleAfterHours: 1 },
    { code: 'utilities', name: 'Water, power, gas, heating; extreme weather', nameZh: '水电气热、极端天气', responseGoal: 2, responseUnit: 'hours' as const, resolutionGoal: 24, resolutionUnit: 'hours' as const, escalateOnBreach: true, idleAfterHours: 4 },
    { code: 'general', name: 'General', nameZh: '一般', responseGoal: 24, responseUnit: 'hours' as const, resolutionGoal: 7, resolutionUnit: 'working-days' as const, escalateOnBreach: false, idleAfterHours: 48 },
    { code: 'complex', name: 'Complex', nameZh: '复杂', responseGoal: 24, responseUnit: 'hours' as const, resolutionGoal: 15, resolutionUnit: 'working-days' as const, escalateOnBreach: false, idleAfterHours: 120 },
  ],
  /** Check-in and report deadlines of a whistle (Pinggu: check in within 30 minutes when urgent). */
  whistleUrgencies: [
    { code: 'urgent', name: 'Urgent', nameZh: '紧急', checkInGoal: 30, checkInUnit: 'minutes' as const, reportGoal: 24, reportUnit: 'hours' as const },
    { code: 'normal', name: 'Normal', nameZh: '一般', checkInGoal: 1, checkInUnit: 'working-days' as const, reportGoal: 5, reportUnit: 'working-days' as const },
  ],
  serviceItems: [
    { code: 'party-membership-transfer', category: 'party-masses' as const, name: 'Party membership transfer', nameZh: '党组织关系转接', handlingMode: 'needs-documents' as const, deadlineClass: 'general', requiredDocuments: ['introduction letter'], issuesCertificate: true },
    { code: 'residence-certificate', category: 'government' as const, name: 'Residence certificate', nameZh: '居住证明', handlingMode: 'handle-now' as const, deadlineClass: 'general', issuesCertificate: true },
    { code: 'elderly-care-subsidy', category: 'government' as const, name: 'Elderly care subsidy application', nameZh: '养老服务补贴申请', handlingMode: 'needs-documents' as const, deadlineClass: 'complex', requiredDocuments: ['ID card', 'household register', 'bank card'], needsHomeVisit: true },
    { code: 'minimum-living-allowance', category: 'government' as const, name: 'Minimum living allowance (dibao)', nameZh: '最低生活保障申请', handlingMode: 'needs-documents' as const, deadlineClass: 'complex', requiredDocuments: ['ID card', 'household register', 'income statement'], needsHomeVisit: true },
    { code: 'home-plumbing-repair', category: 'life' as const, name: 'Home plumbing repair', nameZh: '家庭水管维修', handlingMode: 'needs-documents' as const, deadlineClass: 'utilities' },
    { code: 'blocked-manhole', category: 'life' as const, name: 'Blocked manhole or drain', nameZh: '井盖/下水道堵塞', handlingMode: 'needs-documents' as const, deadlineClass: 'emergency', needsHomeVisit: true },
    { code: 'legal-consultation', category: 'life' as const, name: 'Legal consultation', nameZh: '法律咨询', handlingMode: 'handle-now' as const, deadlineClass: 'general' },
    { code: 'volunteer-registration', category: 'public' as const, name: 'Volunteer registration', nameZh: '志愿者登记', handlingMode: 'handle-now' as const, deadlineClass: 'general' },
    { code: 'garbage-sorting-complaint', category: 'public' as const, name: 'Garbage sorting complaint', nameZh: '垃圾分类投诉', handlingMode: 'needs-documents' as const, deadlineClass: 'general' },
  ],
};

export async function seedDemoData(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.insert(subdistricts).values(demo.subdistricts).onConflictDoNothing();
    await tx.insert(stations).values(demo.stations).onConflictDoNothing();
    await tx.insert(departments).values(demo.departments).onConflictDoNothing();
    await tx.insert(partners).values(demo.partners).onConflictDoNothing();
    await tx.insert(deadlineClasses).values(demo.deadlineClasses).onConflictDoNothing();
    await tx.insert(serviceItems).values(demo.serviceItems).onConflictDoNothing();
    await tx.insert(whistleUrgencies).values(demo.whistleUrgencies).onConflictDoNothing();
    await tx.insert(partnerServices).values(demo.partnerServices).onConflictDoNothing();
  });
}
