import { createLogger } from '../config/logger';

describe('logger', () => {
  it('censors resident personal data wherever it is nested', () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (l: string) => void lines.push(l) });
    log.info({ caseId: 'QG-20261123-0001', resident: { name: 'Li', phone: '13800000000' } }, 'a');
    log.info({ input: { resident: { name: 'Li', phone: '13800000000' } } }, 'b');
    log.info({ phone: '13800000000', person: { idNumber: '110101199003074514' } }, 'c');
    log.info({ req: { headers: { authorization: 'Bearer abc.def.ghi' } } }, 'd');
    const out = lines.join('');
    expect(lines).toHaveLength(4);
    expect(out).toContain('QG-20261123-0001');
    expect(out).toContain('[redacted]');
    expect(out).not.toContain('13800000000');
    expect(out).not.toContain('110101199003074514');
    expect(out).not.toContain('abc.def.ghi');
  });
});
